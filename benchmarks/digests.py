"""SHA-256 digests of every array in every experiment's ``quick`` result: a refactor must not change them.

Usage::

    python -m benchmarks.digests OUT.json [EXP ...]  # run every (or the named) quick preset, write digests
    python -m benchmarks.digests --compare A.json B.json

Each result is walked recursively (dataclass fields, dicts, lists, tuples); every numpy array (and float/int)
gets a digest of its dtype, shape and bytes. ``config`` and ``info`` are skipped (they describe, not compute).
``--compare`` matches the two files experiment by experiment on the *multiset* of digests, so renamed fields
still match; it prints what differs and exits 1 if anything does.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
import tempfile

import numpy as np

SKIP = {"config", "info"}


def _walk(obj, path: str, out: dict[str, str]) -> None:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            if f.name not in SKIP:
                _walk(getattr(obj, f.name), f"{path}.{f.name}", out)
    elif isinstance(obj, dict):
        for key in sorted(obj, key=str):
            _walk(obj[key], f"{path}[{key!r}]", out)
    elif isinstance(obj, list | tuple):
        if all(isinstance(v, int | float | np.number | bool) for v in obj) and obj:
            _walk(np.asarray(obj), path, out)
        else:
            for i, v in enumerate(obj):
                _walk(v, f"{path}[{i}]", out)
    elif isinstance(obj, np.ndarray) or isinstance(obj, np.number | float | int | bool):
        a = np.ascontiguousarray(np.asarray(obj))
        if a.dtype == object:
            out[path] = hashlib.sha256(repr(a.tolist()).encode()).hexdigest()[:16]
            return
        h = hashlib.sha256(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
        out[path] = h.hexdigest()[:16]


def digests(names: list[str] | None = None) -> dict[str, dict[str, str]]:
    from ipflow_lib import experiments

    result: dict[str, dict[str, str]] = {}
    for name in names or experiments.available():
        module = experiments.get(name)
        print(f"[digests] {name}", file=sys.stderr, flush=True)
        out: dict[str, str] = {}
        _walk(module.run(module.PRESETS["quick"]), "", out)
        result[name] = out
    return result


def compare(a: dict, b: dict) -> int:
    bad = 0
    for name in sorted(set(b)):  # the experiments of the second file (a subset may have been rerun)
        da, db = a.get(name, {}), b.get(name, {})
        va, vb = sorted(da.values()), sorted(db.values())
        if va == vb:
            print(f"{name}: {len(va)} arrays identical")
            continue
        bad += 1
        only_a = {k: v for k, v in da.items() if v not in set(vb)}
        only_b = {k: v for k, v in db.items() if v not in set(va)}
        print(f"{name}: DIFFERENT ({len(va)} vs {len(vb)} arrays)")
        for k in sorted(only_a):
            print(f"   only before: {k}")
        for k in sorted(only_b):
            print(f"   only after:  {k}")
    return 1 if bad else 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["--compare"]:
        with open(argv[1]) as fa, open(argv[2]) as fb:
            return compare(json.load(fa), json.load(fb))
    os.environ.setdefault("IPFLOW_CACHE", tempfile.mkdtemp(prefix="ipflow-digests-"))
    os.environ.setdefault("IPFLOW_PROGRESS", "0")
    with open(argv[0], "w") as f:
        json.dump(digests(argv[1:]), f, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
