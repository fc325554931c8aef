"""The install: pins in requirements.txt and environment.yml agree, and `import ipflow_lib` stays light."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def pins_of_requirements():
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return sorted(line.split("#")[0].strip() for line in lines if line.split("#")[0].strip())


def test_environment_yml_mirrors_requirements_txt():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "python=3.11" in deps
    pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    assert sorted(pip) == pins_of_requirements()


def test_requirements_are_exact_pins_of_the_verified_stack():
    pins = dict(p.split("==") for p in pins_of_requirements())
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-]+", k) for k in pins)
    assert pins["jax"] == pins["jaxlib"] == "0.4.38"  # newer jax breaks neural-tangents 0.6.5
    assert pins["neural-tangents"] == "0.6.5" and pins["tf2jax"] == "0.3.6"
    assert pins["jupyter-book"].startswith("1.")  # 2.x is a different engine
    # a matching theme pair: sphinx-book-theme 1.3 with pydata-sphinx-theme 0.17 breaks the navigation toggle
    assert pins["sphinx-book-theme"].startswith("1.1.") and pins["pydata-sphinx-theme"].startswith("0.15.")
    assert "sphinx-mathjax-offline" in pins  # MathJax 3 served from the build: formulas render offline


def test_import_is_fast_and_light():
    code = (
        "import sys, time; t = time.perf_counter(); import ipflow_lib, ipflow_lib.experiments, "
        "ipflow_lib.datasets, ipflow_lib.estimators; dt = time.perf_counter() - t; "
        "heavy = [m for m in ('jax', 'torch', 'tensorflow', 'neural_tangents') if m in sys.modules]; "
        "print(dt, heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split(" ", 1)
    assert float(out[0]) < 1.0
    assert out[1].strip() == "[]"
