"""The numbers two builds of the book print, compared at the digits they print.

    .venv/bin/python -m benchmarks.printed_numbers OLD_BUILD NEW_BUILD

``OLD_BUILD`` and ``NEW_BUILD`` are two ``_build`` folders of the same preset (for example the quick book of a
checkout of the old trainer, and the one ``make test`` builds into ``_build/quick/_build``). For every chapter
it reads the executed notebooks (``jupyter_execute/``), formats every ``{glue:text}`name:format``` of the
chapter's prose as the page shows it, and lists the ones that differ; then the printed lines of the code cells
(tables, summaries) that differ. Exit status 0 either way: it reports, it does not judge.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROLE = re.compile(r"\{glue:text\}`([^`]+)`")


def glued(notebook: Path) -> tuple[dict[str, str], list[str]]:
    """``({name: text/plain}, printed lines)`` of an executed notebook: the glued values (myst-nb keeps them in
    ``NAME.glue.json`` beside it, older builds in the outputs), and what its code cells printed, less the
    provenance lines (``Experiment `x` ...: N s of computation``), whose times and hashes always differ."""
    values, lines = {}, []
    store = notebook.with_suffix(".glue.json")
    if store.exists():
        values = {name: "".join(out.get("data", {}).get("text/plain", ""))
                  for name, out in json.loads(store.read_text()).items()}
    for cell in json.loads(notebook.read_text())["cells"]:
        for out in cell.get("outputs", []):
            record = out.get("metadata", {}).get("scrapbook", {})
            if record.get("name") is not None:  # a glue output (its data keys carry the record's mime prefix)
                data = out.get("data", {})
                values[record["name"]] = "".join(data.get(record.get("mime_prefix", "") + "text/plain", ""))
            elif out.get("output_type") == "stream" and out.get("name") == "stdout":
                lines += [line for line in "".join(out["text"]).splitlines()
                          if not line.startswith(("Experiment `", "[ipflow]"))]
    return values, lines


def shown(text: str, spec: str) -> str:
    """The value ``text`` (a repr) as ``{glue:text}`` shows it with format ``spec``."""
    number = re.fullmatch(r"(?:np\.\w+\()?([-+0-9.eEinfa]+)\)?", text.strip())
    try:
        value = float(number.group(1)) if number else ast.literal_eval(text)
    except (ValueError, SyntaxError):
        value = text
    if isinstance(value, float) and value.is_integer() and not spec:
        value = int(value)
    try:
        return format(value, spec) if spec else str(value)
    except (ValueError, TypeError):
        return str(value)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    args = parser.parse_args(argv)
    n_numbers = n_differ = n_lines = n_lines_differ = 0
    for page in sorted((ROOT / "chapters").glob("*.md")):
        books = [b / "jupyter_execute" / "chapters" / f"{page.stem}.ipynb" for b in (args.old, args.new)]
        if not all(b.exists() for b in books):
            continue
        (old, old_lines), (new, new_lines) = glued(books[0]), glued(books[1])
        differ = []
        for role in ROLE.findall(page.read_text()):
            name, _, spec = role.partition(":")
            if name in old and name in new:
                n_numbers += 1
                a, b = shown(old[name], spec), shown(new[name], spec)
                if a != b:
                    differ.append(f"    {name}: {a} -> {b}")
        changed = [(a, b) for a, b in zip(old_lines, new_lines, strict=False) if a != b]
        n_differ += len(differ)
        n_lines += len(new_lines)
        n_lines_differ += len(changed)
        if differ or changed:
            print(f"{page.stem}: {len(differ)} printed numbers and {len(changed)} printed lines differ")
            print("\n".join(differ))
            for a, b in changed[:10]:
                print(f"    | {a}\n    > {b}")
    print(f"in all: {n_differ} of {n_numbers} numbers in the prose and {n_lines_differ} of {n_lines} printed lines "
          "differ at the digits shown")
    return 0


if __name__ == "__main__":
    sys.exit(main())
