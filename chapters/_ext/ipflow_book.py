"""Sphinx glue of the ipflow book (a Jupyter Book ``local_extension``; not part of ``ipflow_lib``).

- Every chapter page offers its notebook as ``.ipynb`` in the download menu: the MyST source converted
  by jupytext at build time (no outputs; it runs in a local Jupyter with ``ipflow`` installed).
- The bibliography uses author–year labels that match the author–year citations in the text, and prints
  each entry's DOI or URL as a link (pybtex's ``unsrt`` formatting with an author–year label style).
- ``IPFLOW_STUDENT=1`` builds the student edition: sphinx-exercise hides every solution (``make book-student``).
- A small stylesheet: printed outputs and wide equations wrap or scroll inside the column, figures scale
  to the page and open full size on click, and a printed chapter drops the navigation.
"""

from __future__ import annotations

import os
from pathlib import Path

CSS = "ipflow.css"
JS = "ipflow.js"

STYLE = """
/* printed outputs wrap instead of overflowing the column */
div.cell_output pre, div.output pre { white-space: pre-wrap; word-break: break-word; }
/* wide display equations scroll inside the column */
mjx-container[display="true"], div.math { overflow-x: auto; overflow-y: hidden; max-width: 100%; }
/* figures fit the page; a click opens the full-size image */
div.cell_output img, figure img { max-width: 100%; height: auto; cursor: zoom-in; }
@media print {
  .bd-header, .bd-sidebar-primary, .bd-sidebar-secondary, .header-article, .prev-next-area,
  .bd-footer, .bd-footer-article, .cell_input, details.hide { display: none !important; }
  .bd-main .bd-content .bd-article-container { max-width: 100% !important; }
  div.cell_output img { max-width: 100% !important; page-break-inside: avoid; }
  div.solution { page-break-inside: avoid; }
}
"""

SCRIPT = """
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("div.cell_output img, figure img").forEach((img) => {
    if (img.closest("a")) return;
    img.addEventListener("click", () => window.open(img.src, "_blank"));
  });
});
"""


def _chapter_docs(app) -> list[str]:
    return sorted(doc for doc in app.env.found_docs if doc.startswith("chapters/"))


def _page_context(app, pagename, templatename, context, doctree):
    if pagename.startswith("chapters/") and pagename in app.env.found_docs:
        context["ipynb_source"] = f"{pagename}.ipynb"
    # Two extensions add the same inline scripts (sphinx-thebe's ``const THEBE_JS_URL`` twice is a console
    # error on every page); the book has no live-code launcher offline, so Thebe's scripts go entirely.
    seen, scripts = set(), []
    for script in context.get("script_files", []):
        body = getattr(script, "attributes", {}).get("body", "")
        key = (str(script), body)
        if key in seen or "THEBE_JS_URL" in body or "sphinx-thebe" in str(script):
            continue
        seen.add(key)
        scripts.append(script)
    context["script_files"] = scripts


def _write_notebooks(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    import jupytext

    for doc in _chapter_docs(app):
        source = Path(app.srcdir) / f"{doc}.md"
        if not source.exists():
            continue
        notebook = jupytext.read(source)
        target = Path(app.outdir) / "_sources" / f"{doc}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        jupytext.write(notebook, target, fmt="ipynb")


FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1f4e79"/>'
    '<path d="M6 26 C10 8, 16 6, 26 8" stroke="#f4b942" stroke-width="3" fill="none"/>'
    '<circle cx="26" cy="8" r="3" fill="#f4b942"/></svg>'
)


def _write_static(app):
    static = Path(app.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    (static / CSS).write_text(STYLE)
    (static / JS).write_text(SCRIPT)
    (static / "favicon.svg").write_text(FAVICON)
    # the browser asks for /favicon.ico on every page: one is there (the same icon, as SVG)
    (Path(app.outdir) / "favicon.ico").write_text(FAVICON)


def _register_bibliography_style():
    import pybtex.plugin
    from pybtex.style.formatting.unsrt import Style as Unsrt
    from pybtex.style.labels import BaseLabelStyle

    class AuthorYearLabels(BaseLabelStyle):
        """``Saxe et al. 2018``-style labels, ``a``/``b`` appended where two entries would collide."""

        def format_labels(self, sorted_entries):
            labels = []
            for entry in sorted_entries:
                people = entry.persons.get("author") or entry.persons.get("editor") or []
                names = ["".join(p.last_names) or "Anon." for p in people]
                who = names[0] if len(names) == 1 else (f"{names[0]} & {names[1]}" if len(names) == 2
                                                        else f"{names[0]} et al.")
                labels.append(f"{who} {entry.fields.get('year', 'n.d.')}")
            seen: dict[str, int] = {}
            for label in labels:
                seen[label] = seen.get(label, 0) + 1
            suffix: dict[str, int] = {}
            for label in labels:
                if seen[label] > 1:
                    suffix[label] = suffix.get(label, 0) + 1
                    yield f"{label}{chr(ord('a') + suffix[label] - 1)}"
                else:
                    yield label

    class AuthorYearStyle(Unsrt):
        default_label_style = AuthorYearLabels
        default_sorting_style = "author_year_title"

    pybtex.plugin.register_plugin("pybtex.style.formatting", "ipflow_author_year", AuthorYearStyle)


def _page_favicon(app, pagename, templatename, context, doctree):
    context["favicon_url"] = context["pathto"]("_static/favicon.svg", 1)


def _student_edition(app, config):
    if os.environ.get("IPFLOW_STUDENT", "").strip() in ("1", "true", "yes"):
        config.hide_solutions = True
        config.html_title = f"{config.html_title} (student edition)"


def setup(app):
    _register_bibliography_style()
    app.connect("config-inited", _student_edition)
    app.connect("builder-inited", _write_static)
    app.connect("html-page-context", _page_context)
    app.connect("html-page-context", _page_favicon)
    app.connect("build-finished", _write_notebooks)
    app.add_css_file(CSS)
    app.add_js_file(JS)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
