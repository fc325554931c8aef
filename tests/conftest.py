"""Shared fixtures. Every test gets its own result cache, so tests never read a stale or foreign cache
(the book test sets its own)."""

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("IPFLOW_PROGRESS", "0")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch, request):
    if "book" not in request.keywords:
        monkeypatch.setenv("IPFLOW_CACHE", str(tmp_path / "ipflow-cache"))
    yield
