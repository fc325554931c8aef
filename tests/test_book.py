"""The whole book, executed in the `quick` preset with warnings as errors (as `make book` builds it).

It builds into _build/quick/, so it never overwrites the `paper` site of `make book` (_build/html/).
"""

import re

import pytest
from conftest import BOOK_HTML, ROOT, toc_files


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
    html_root = BOOK_HTML
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


def test_every_reference_has_a_doi_or_url():
    """The bibliography links every paper it lists (a DOI or a URL in references.bib)."""
    bib = (ROOT / "references.bib").read_text()
    entries = re.split(r"(?m)^@", bib)[1:]
    unlinked = [e.split(",", 1)[0] for e in entries if not re.search(r"(?m)^\s*(doi|url)\s*=", e)]
    assert not unlinked, f"references without a DOI or URL: {unlinked}"


def test_chapters_cite_without_doubled_names():
    """'Saxe et al. {cite}`saxe2018`' renders 'Saxe et al. [Saxe et al., 2018]': use {cite:t} or {cite:p}."""
    doubled = []
    for page in toc_files():
        text = (ROOT / f"{page}.md").read_text()
        doubled += [f"{page}: {m.group(0)}" for m in
                    re.finditer(r"[A-Z][\w-]+( et al\.| and [A-Z][\w-]+| & [A-Z][\w-]+)? \{cite\}", text)]
    assert not doubled, "\n".join(doubled)
