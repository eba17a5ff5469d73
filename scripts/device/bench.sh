#!/usr/bin/env bash
# Runs bench:browser on a lent machine from the parts scripts/device/pack.sh made (carried in
# .dev1/ .dev2/ ...; a warm machine keeps the parts of earlier calls). Each argument is one
# run's bench options, quoted; every run's output goes to stdout and to $OUT/bench.txt.
#
#   bash scripts/device/bench.sh                       only unpack (a call carrying a part)
#   bash scripts/device/bench.sh '--lanes 4' '--lanes 3' '--lanes 4 --lane-writes never'
#
# Every run is `--layers 12 --once` unless its options say otherwise.
set -uo pipefail
cd "$(dirname "$0")/../.."
DEST=/tmp/merge-studio-pack
parts=$(ls .dev[0-9]*/part.* 2>/dev/null | sort -t. -k3 -n)
if [ ! -x "$DEST/pack/bin/node" ]; then
  [ -n "$parts" ] || { echo "no parts (.devN/part.NN) here: run scripts/device/pack.sh and carry them" >&2; exit 1; }
  mkdir -p "$DEST"
  # shellcheck disable=SC2086
  if cat $parts | xz -dc 2>/dev/null | tar xf - -C "$DEST" 2>/dev/null; then
    echo "unpacked $(echo $parts | wc -w) parts into $DEST"
  else
    rm -rf "${DEST:?}/pack"
    echo "parts here so far: $(echo $parts | wc -w) (not all yet: carry the next one)"
    exit 0
  fi
fi
[ $# -gt 0 ] || exit 0
P=$DEST/pack
export LD_LIBRARY_PATH=$P/lib CHROMIUM_PATH=$P/chromium/chromium BENCH_HUB_CHILD=$P/hub-child.mjs
log=${OUT:-/tmp}/bench.txt
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 2^20 }' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME")" | tee -a "$log"
status=0
for options in "$@"; do
  echo "== bench:browser $options" | tee -a "$log"
  # shellcheck disable=SC2086
  "$P/bin/node" "$P/bench-browser.mjs" --static "$P/harness-dist" --layers 12 --once $options 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done
exit $status
