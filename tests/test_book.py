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


@pytest.mark.book
def test_every_chapter_page_offers_its_notebook_for_download(quick_book):
    """The download menu of every chapter links an .ipynb generated at build time (jupytext, no outputs)."""
    import jupytext
    import nbformat

    for name in toc_files():
        if not name.startswith("chapters/"):
            continue
        page = (BOOK_HTML / f"{name}.html").read_text()
        assert f"{name.split('/')[-1]}.ipynb" in page, f"{name}: no .ipynb in the download menu"
        notebook = nbformat.read(BOOK_HTML / "_sources" / f"{name}.ipynb", as_version=4)
        nbformat.validate(notebook)
        source = jupytext.read(ROOT / f"{name}.md")
        code = [c.source for c in source.cells if c.cell_type == "code"]
        assert [c.source for c in notebook.cells if c.cell_type == "code"] == code
        assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")


@pytest.mark.book
def test_a_downloaded_notebook_runs_in_a_local_kernel(quick_book, tmp_path, monkeypatch):
    """A student's copy of a chapter (the downloaded .ipynb) runs top to bottom with the package installed."""
    import nbformat

    monkeypatch.setenv("IPFLOW_PRESET", "quick")  # the kernel inherits it; the quick book's results are cached
    from nbclient import NotebookClient

    notebook = nbformat.read(BOOK_HTML / "_sources" / "chapters" / "04_compression_generalization.ipynb", 4)
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": tmp_path}})
    client.execute()  # raises CellExecutionError on the first failing cell
    assert any(o.get("output_type") == "display_data" for c in notebook.cells for o in c.get("outputs", []))


@pytest.mark.book
def test_figures_are_numbered_with_captions_and_alt_text(quick_book):
    """Every figure of a chapter is numbered per chapter ("Fig. 2.1"), has a caption and a real alt text."""
    for name in toc_files():
        if not re.match(r"chapters/0[1-8]_", name):
            continue
        html = (BOOK_HTML / f"{name}.html").read_text()
        number = int(name.split("/")[1][:2])
        images = re.findall(r"<img [^>]*>", html)
        assert images, f"{name} has no figure"
        for tag in images:
            alt = re.search(r'alt="([^"]*)"', tag)
            assert alt and len(alt.group(1)) > 15 and not re.fullmatch(r"[0-9a-f]{20,}.*", alt.group(1)), (
                f"{name}: an image without a real alt text: {tag[:160]}")
        captions = re.findall(r"<figcaption>(.*?)</figcaption>", html, re.S)
        figures = [tag for tag in images if "_images/" in tag]  # not the frames of an animation
        assert len(captions) >= len(figures), f"{name}: {len(figures)} figures but {len(captions)} captions"
        assert all(f"Fig. {number}." in c for c in captions), f"{name}: figures not numbered per chapter"


def test_every_chapter_has_three_exercises_and_a_self_check():
    """At least three exercises per chapter, one of them a self-check whose checker exists."""
    from ipflow_lib.exercises import available

    checkers = set(available())
    for name in toc_files():
        if not re.match(r"chapters/0[1-7]_", name):
            continue
        text = (ROOT / f"{name}.md").read_text()
        exercises = re.findall(r"(?ms)^(`{3,}|:{3,})\{exercise\}.*?^\1\s*$", text)
        assert len(exercises) >= 3, f"{name}: {len(exercises)} exercises"
        used = set(re.findall(r'check\("([^"]+)"', text))
        chapter = str(int(name.split("/")[1][:2]))
        mine = {c for c in used if c.split(".")[0] == chapter}
        assert mine, f"{name}: no self-check exercise (ipflow_lib.exercises.check)"
        assert mine <= checkers, f"{name}: self-checks without a checker: {sorted(mine - checkers)}"


@pytest.mark.book
def test_scorecard_verdicts_are_the_claims_modules_output(quick_book, monkeypatch):
    """Every row of the built scorecard shows the verdict that ipflow_lib.claims computes from the same results."""
    from ipflow_lib import claims, experiments

    monkeypatch.setenv("IPFLOW_PRESET", "quick")  # the results the quick book used, loaded from its cache
    results = {name: experiments.get(name).run() for name in claims.EXPERIMENTS}
    card = claims.scorecard(results)
    html = (BOOK_HTML / "chapters" / "08_scorecard.html").read_text()
    rows = {m.group(1).strip(): m.group(2) for m in
            re.finditer(r'<tr class="row-[a-z]+"><td><p>([^<]+)</p></td>(.*?)</tr>', html, re.S)}
    assert len(card) >= 15 and set(rows) >= {c.id for c in card}
    for claim in card:
        cells = re.findall(r"<td><p>(.*?)</p></td>", rows[claim.id], re.S)
        shown = re.sub(r"<[^>]+>", "", cells[4]).strip()
        assert shown == claim.verdict or shown.startswith(f"{claim.verdict} ("), (claim.id, shown, claim.verdict)
