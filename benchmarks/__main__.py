"""Run every benchmark: ``python -m benchmarks`` (``make benchmarks``). Each prints its own ratios."""

import importlib
import pkgutil
import sys
from pathlib import Path

for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda i: i.name):
    if info.name.startswith("bench_"):
        print(f"\n=== {info.name}", flush=True)
        module = importlib.import_module(f"benchmarks.{info.name}")
        module.main([]) if "argv" in module.main.__code__.co_varnames else module.main()
        sys.stdout.flush()
