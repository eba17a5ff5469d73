"""Writes test-data/torch-bin/: tinymix models and edge cases saved by real torch.save.

Needs python3-torch (Debian: apt-get install python3-torch); the tests only read its output.
Run from the repository root: /usr/bin/python3 scripts/make-torch-fixtures.py
(Legacy-format files get new storage keys on every run; to add a file, run only the function
that writes it, e.g. protocols() for views-p5.bin and views-legacy-p1.bin.)
"""

import collections
import io
import json
import os
import pickle
import shutil
import struct
import subprocess
import zipfile

import torch

ROOT = "test-data/tinymix"
OUT = "test-data/torch-bin"
DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    out = collections.OrderedDict()
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        b, e = meta["data_offsets"]
        raw = bytearray(data[8 + n + b : 8 + n + e])
        t = torch.frombuffer(raw, dtype=DTYPES[meta["dtype"]]).reshape(meta["shape"])
        out[name] = t.clone()
    return out


def model_tensors(folder):
    index = os.path.join(ROOT, folder, "model.safetensors.index.json")
    if os.path.exists(index):
        files = sorted(set(json.load(open(index))["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    sd = collections.OrderedDict()
    for f in files:
        sd.update(read_safetensors(os.path.join(ROOT, folder, f)))
    return sd


def state_dict(tensors):
    """An OrderedDict with _metadata, as nn.Module.state_dict() returns."""
    sd = collections.OrderedDict(sorted(tensors.items()))
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("model", {"version": 1})])
    return sd


def copy_side_files(folder, dest):
    os.makedirs(dest, exist_ok=True)
    for f in os.listdir(os.path.join(ROOT, folder)):
        if f.endswith(".safetensors") or f.endswith(".index.json"):
            continue
        shutil.copy(os.path.join(ROOT, folder, f), os.path.join(dest, f))


def one_file(folder, name, legacy=False):
    dest = os.path.join(OUT, name)
    copy_side_files(folder, dest)
    torch.save(
        state_dict(model_tensors(folder)),
        os.path.join(dest, "pytorch_model.bin"),
        _use_new_zipfile_serialization=not legacy,
    )


def sharded(folder, name):
    """Two shards and pytorch_model.bin.index.json, as transformers' save_pretrained writes them."""
    dest = os.path.join(OUT, name)
    copy_side_files(folder, dest)
    sd = model_tensors(folder)
    names = sorted(sd)
    half = len(names) // 2
    parts = [names[:half], names[half:]]
    weight_map = {}
    total = 0
    for i, part in enumerate(parts):
        fname = f"pytorch_model-{i + 1:05d}-of-{len(parts):05d}.bin"
        torch.save(state_dict({k: sd[k] for k in part}), os.path.join(dest, fname))
        for k in part:
            weight_map[k] = fname
            total += sd[k].numel() * sd[k].element_size()
    with open(os.path.join(dest, "pytorch_model.bin.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)


def views_dict(base):
    # Views of one storage: the whole, a row range (storage offset), and a tied copy.
    return collections.OrderedDict(
        [
            ("whole", base),
            ("rows", base[1:3]),
            ("tied", base),
            ("scalar", torch.tensor(7.5, dtype=torch.float32)),
            ("bf16", torch.arange(5, dtype=torch.bfloat16) / 4),
            ("f16", torch.arange(5, dtype=torch.float16) / 8),
            ("f64", torch.arange(3, dtype=torch.float64) / 3),
            ("i64", torch.arange(3, dtype=torch.int64) - 1),
            ("i32", torch.arange(3, dtype=torch.int32)),
            ("i16", torch.arange(3, dtype=torch.int16)),
            ("i8", torch.arange(3, dtype=torch.int8) - 1),
            ("u8", torch.arange(3, dtype=torch.uint8)),
            ("bool", torch.tensor([True, False, True])),
            ("empty", torch.zeros(0, 3)),
        ]
    )


def edge_cases():
    dest = os.path.join(OUT, "edge")
    os.makedirs(dest, exist_ok=True)
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    views = views_dict(base)
    torch.save(views, os.path.join(dest, "views.bin"))
    torch.save(views, os.path.join(dest, "views-legacy.bin"), _use_new_zipfile_serialization=False)
    torch.save({"transposed": base.t()}, os.path.join(dest, "transposed.bin"))
    torch.save({"state_dict": {"a": base}, "epoch": 3}, os.path.join(dest, "wrapped.bin"))
    torch.save(torch.nn.Linear(2, 3), os.path.join(dest, "module.bin"))
    torch.save({"a": torch.nn.Parameter(base.clone())}, os.path.join(dest, "parameter.bin"))
    # Rewritten with ZIP64 records everywhere (torch.save writes them only past 4 GB).
    write_zip64(os.path.join(dest, "views.bin"), os.path.join(dest, "zip64.bin"))
    rewrite(os.path.join(dest, "views.bin"), os.path.join(dest, "deflated.bin"), deflate=True)
    # A pickle that would run a shell command if unpickled by pickle.load.
    evil_zip(os.path.join(dest, "evil.bin"))
    protocols(dest, views)


def protocols(dest, views):
    """torch.save's pickle_protocol other than its default 2: 5 (FRAME, MEMOIZE, SHORT_BINUNICODE),
    and 1, whose legacy files start with the magic number as text (L...L) rather than PROTO."""
    torch.save(views, os.path.join(dest, "views-p5.bin"), pickle_protocol=5)
    torch.save(
        views,
        os.path.join(dest, "views-legacy-p1.bin"),
        pickle_protocol=1,
        _use_new_zipfile_serialization=False,
    )


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/merge-studio-pwned",))


def evil_zip(path):
    payload = pickle.dumps({"a": Evil()}, protocol=2)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", payload)
        z.writestr("archive/version", "3\n")


def write_zip64(src, dst):
    """Every size and offset in ZIP64 extra fields, and the ZIP64 end records, as a writer does
    for archives past 4 GB; checked by loading it with torch and with Python's zipfile."""
    with zipfile.ZipFile(src) as zin:
        items = [(i.filename.encode(), zin.read(i)) for i in zin.infolist()]
    out = bytearray()
    central = bytearray()
    for name, data in items:
        crc = zipfile.crc32(data) & 0xFFFFFFFF
        offset = len(out)
        extra = struct.pack("<HHQQ", 1, 16, len(data), len(data))
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF, len(name), len(extra))
        out += name + extra + data
        cextra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), offset)
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0, crc,
            0xFFFFFFFF, 0xFFFFFFFF, len(name), len(cextra), 0, 0, 0, 0, 0xFFFFFFFF,
        )
        central += name + cextra
    dir_offset = len(out)
    out += central
    end64 = len(out)
    n = len(items)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, len(central), dir_offset)
    out += struct.pack("<IIQI", 0x07064B50, 0, end64, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    with open(dst, "wb") as f:
        f.write(out)
    assert zipfile.ZipFile(dst).read(items[0][0].decode()) == items[0][1]
    torch.load(dst)


def rewrite(src, dst, force_zip64=False, deflate=False):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            method = zipfile.ZIP_DEFLATED if deflate and "/data/" in info.filename else zipfile.ZIP_STORED
            zi = zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0))
            zi.compress_type = method
            with zout.open(zi, "w", force_zip64=force_zip64) as w:
                w.write(data)
    if force_zip64:
        # The end records too: a reader must follow the zip64 end-of-central-directory locator.
        torch.load(dst)


def lora_adapter():
    """A PEFT adapter as safetensors (our extract-lora) and as adapter_model.bin (PEFT before 0.6)."""
    st = os.path.join(OUT, "tinymix-code-lora")
    subprocess.run(
        ["node", "bin/merge-studio.mjs", "extract-lora", "--model", f"{ROOT}/tinymix-code",
         "--base", f"{ROOT}/tinymix-base", "--out", st, "--max-rank", "8"],
        check=True, stdout=subprocess.DEVNULL,
    )
    binary = os.path.join(OUT, "tinymix-code-lora-bin")
    os.makedirs(binary)
    shutil.copy(os.path.join(st, "adapter_config.json"), binary)
    tensors = read_safetensors(os.path.join(st, "adapter_model.safetensors"))
    torch.save(dict(tensors), os.path.join(binary, "adapter_model.bin"))


if __name__ == "__main__":
    shutil.rmtree(OUT, ignore_errors=True)
    one_file("tinymix-code", "tinymix-code")
    one_file("tinymix-law", "tinymix-law-legacy", legacy=True)
    sharded("tinymix-math", "tinymix-math")
    edge_cases()
    lora_adapter()
    print("torch", torch.__version__)
