"""Shared fixtures. Every test gets its own result cache, so tests never read a stale or foreign cache
(the book test sets its own)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("IPFLOW_PROGRESS", "0")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch, request):
    if "book" not in request.keywords:
        monkeypatch.setenv("IPFLOW_CACHE", str(tmp_path / "ipflow-cache"))
    yield


ROOT = Path(__file__).resolve().parents[1]
BOOK_OUT = ROOT / "_build" / "quick"  # the quick book never overwrites the `paper` site of `make book`
BOOK_HTML = BOOK_OUT / "_build" / "html"


def toc_files() -> list[str]:
    """Every page of the book, from ``_toc.yml``, in reading order (without the ``.md``)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def add(entries):
        for entry in entries:
            files.append(entry["file"])
            add(entry.get("sections", []))  # a chapter's section pages follow it

    for part in toc.get("parts", []):
        add(part["chapters"])
    add(toc.get("chapters", []))
    return files


@pytest.fixture(scope="session")
def quick_book():
    """The whole book built once per test session in the `quick` preset, warnings as errors.

    ``IPFLOW_REUSE_BOOK=1`` reuses a book already built into ``_build/quick`` (``make site-check``).
    """
    if os.environ.get("IPFLOW_REUSE_BOOK") == "1" and (BOOK_HTML / "index.html").exists():
        return subprocess.CompletedProcess(args=["reused"], returncode=0, stdout="", stderr="")
    env = {**os.environ, "IPFLOW_PRESET": "quick", "IPFLOW_PROGRESS": "0", "TF_CPP_MIN_LOG_LEVEL": "3"}
    jb = Path(sys.executable).parent / "jupyter-book"
    return subprocess.run(
        [str(jb), "build", str(ROOT), "--path-output", str(BOOK_OUT), "--all", "-W", "-n", "--keep-going"],
        env=env, capture_output=True, text=True, timeout=3600,
    )
