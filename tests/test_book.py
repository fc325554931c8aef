"""The whole book, executed in the `quick` preset with warnings as errors (as `make book` builds it).

It builds into _build/quick/, so it never overwrites the `paper` site of `make book` (_build/html/).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "_build" / "quick"


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part["chapters"]]
    files += [c["file"] for c in toc.get("chapters", [])]
    return files


@pytest.fixture(scope="module")
def quick_book():
    env = {**os.environ, "IPFLOW_PRESET": "quick", "IPFLOW_PROGRESS": "0", "TF_CPP_MIN_LOG_LEVEL": "3"}
    jb = Path(sys.executable).parent / "jupyter-book"
    proc = subprocess.run(
        [str(jb), "build", str(ROOT), "--path-output", str(OUT), "--all", "-W", "-n", "--keep-going"],
        env=env, capture_output=True, text=True, timeout=3600,
    )
    return proc


@pytest.mark.book
def test_book_builds_without_warnings(quick_book):
    log = quick_book.stdout + quick_book.stderr
    assert quick_book.returncode == 0, log[-6000:]
    # -W already turns Sphinx warnings into a failed build; this also names them if one slips through
    # (the Jupyter kernel's own "[IPKernelApp] WARNING" lines about its transport are not the book's)
    sphinx_warnings = [line for line in log.splitlines() if ": WARNING:" in line]
    assert not sphinx_warnings, "\n".join(sphinx_warnings)


@pytest.mark.book
def test_every_chapter_is_rendered_with_its_figures_and_preset(quick_book):
    html_root = OUT / "_build" / "html"
    for name in toc_files():
        page = html_root / f"{name}.html"
        assert page.exists(), f"{page} missing"
        if name.startswith("chapters/"):
            html = page.read_text()
            assert len(re.findall(r"<img ", html)) >= 1, f"{name} has no figure"
            assert "quick" in html, f"{name} does not say which preset produced it"
            assert "Traceback" not in html, f"{name} shows a traceback"
            for noise in ("oneDNN custom operations", "cuda drivers", "absl::InitializeLog"):
                assert noise not in html, f"{name} shows TensorFlow/JAX log lines ({noise!r})"
