#!/usr/bin/env bash
# Packs what `npm run bench:browser` needs on a lent machine that has neither Node nor
# Chromium (the device tool's 16-core machines): a production build of the harness page,
# the bench and its hub child bundled for Node, this machine's `node`, and Debian's Chromium
# with the shared libraries it loads. The pack is split into parts small enough to travel
# with the working tree (64 MiB a call, the repository included), one ignored folder per
# part. scripts/device/bench.sh unpacks and runs it there; docs/browser.md ("On 16 cores")
# says how to call it.
#
#   scripts/device/pack.sh            parts of 54 MB in .dev1/ .dev2/ ... (git-ignored)
#   PART_MB=28 scripts/device/pack.sh smaller parts
set -euo pipefail
cd "$(dirname "$0")/../.."
PART_MB=${PART_MB:-54}
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
PACK=$STAGE/pack
mkdir -p "$PACK/bin" "$PACK/lib" "$PACK/chromium"

echo "1/4 the harness page, built for production"
node --input-type=module -e "
  import { build } from 'vite';
  await build({ logLevel: 'warn', build: { outDir: '$PACK/harness-dist', emptyOutDir: true,
    sourcemap: false, rollupOptions: { input: 'e2e/merge/harness.html' } } });
"

echo "2/4 the bench and its hub child, bundled for Node"
banner="import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);"
for entry in scripts/bench-browser.ts scripts/lib/hub-child.ts; do
  npx esbuild "$entry" --bundle --platform=node --format=esm --target=node20 --log-level=warning \
    --external:@playwright/test --external:vite --banner:js="$banner" \
    --outfile="$PACK/$(basename "$entry" .ts).mjs"
done

echo "3/4 node and Chromium with their libraries"
cp "$(readlink -f "$(command -v node)")" "$PACK/bin/node"
CHROME_DIR=/usr/lib/chromium
[ -x "$CHROME_DIR/chromium" ] || { echo "no Debian Chromium in $CHROME_DIR (apt-get install chromium)" >&2; exit 1; }
# The Vulkan validation layer (23 MB) and every locale but en-US stay behind.
(cd "$CHROME_DIR" && tar cf - --exclude='libVkLayer_khronos_validation*' --exclude='locales' .) |
  (cd "$PACK/chromium" && tar xf -)
mkdir -p "$PACK/chromium/locales"
cp "$CHROME_DIR/locales/en-US.pak" "$PACK/chromium/locales/"
# Every library the binaries load, except the C library's own (the lent machine has those).
{
  ldd "$CHROME_DIR/chromium"
  ldd "$PACK/bin/node"
  for so in "$CHROME_DIR"/*.so*; do ldd "$so" 2>/dev/null || true; done
} | awk '/=> \// { print $3 }' | sort -u |
  grep -Ev '/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*)\.so' |
  while read -r lib; do cp -L "$lib" "$PACK/lib/"; done

echo "4/4 compressing (xz -9, a few minutes on 2 cores)"
tar cf - -C "$STAGE" pack | xz -9 -T0 >"$STAGE/pack.tar.xz"
rm -rf .dev[0-9] .dev[0-9][0-9]
split -b "${PART_MB}m" -d -a 2 "$STAGE/pack.tar.xz" "$STAGE/part."
i=0
for part in "$STAGE"/part.*; do
  i=$((i + 1))
  mkdir -p ".dev$i"
  mv "$part" ".dev$i/"
  grep -qx "/.dev$i/" .git/info/exclude 2>/dev/null || echo "/.dev$i/" >>.git/info/exclude
done
echo "packed $(du -m "$STAGE/pack.tar.xz" | cut -f1) MB in $i parts: $(printf '.dev%s ' $(seq 1 $i))"
echo "working tree that travels with each call: $(git ls-files -z | du -cm --files0-from=- | tail -1 | cut -f1) MB (plus one part)"
