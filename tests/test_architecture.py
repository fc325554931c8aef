"""The architecture, checked on the sources (AST, nothing is imported): data flows one way through the layers
(README.md, "Layout"; DESIGN.md), no module reaches into another's private names, and chapters stay thin."""

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = "ipflow_lib"
CHAPTERS = sorted((REPO / "chapters").glob("*.md"))

#: The layers of ipflow_lib, lowest first. A module may import from its own layer or lower ones, never from a
#: higher one. Units are the top-level modules / packages of ipflow_lib; "ipflow_lib" is the root __init__.
LAYERS = (
    ("runtime", "validation", "parallel"),  # progress bars, checkpoints, stopping; argument checks; backends
    ("information",),  # exact quantities on probability tables
    ("datasets",),  # the 12-bit task and its splits, noisy p(y|x), digits, MNIST, toy problems
    ("estimators",),  # MI from samples (binning, KDE, KSG, Gaussian mixtures, plug-in entropy)
    ("bottleneck", "generalization"),  # IB / dual-IB solvers and β fits; generalization bounds
    ("ensembles", "ntk", "variational", "probes", "linear"),  # trainers (JAX MLPs, NTK, torch, linear nets)
    ("trajectories",),  # analysis of logged curves (experiments compute their summaries with it)
    ("experiments",),  # Config, PRESETS, run(config) -> Result, cached
    ("claims", "exercises", "course"),  # claims and verdicts; self-check exercises; the course plan and runtimes
    ("plotting",),  # figures of results; never computes
    ("cli",),  # the `ipflow` command
    (PACKAGE,),  # the root package: lazy access to everything
)
LAYER = {unit: level for level, units in enumerate(LAYERS) for unit in units}
VERDICT_WORDS = ("supports", "contradicts", "confirms", "compresses", "holds", "reproduces", "both", "neither")
MAX_CELL_LINES = 15


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted((REPO / PACKAGE).rglob("*.py")) if "__pycache__" not in p.parts}


def unit_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else PACKAGE


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def resolve(node: ast.ImportFrom, module: str) -> str | None:
    """The absolute module a ``from ... import`` refers to, relative imports resolved (None: beyond the top)."""
    if not node.level:
        return node.module
    package = module if MODULES.get(module, Path()).name == "__init__.py" else module.rpartition(".")[0]
    base = package.split(".") if package else []
    if node.level - 1 >= len(base):
        return None
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(tree: ast.AST, module: str):
    """``(line, target module, imported name or None)`` for every import of an ipflow_lib module, functions too.

    ``from pkg import sub`` where ``sub`` is a module gives the target ``pkg.sub``.
    """
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom):
            target = resolve(node, module)
            for alias in node.names:
                if target is None:
                    continue
                sub = f"{target}.{alias.name}"
                yield (node.lineno, sub, None) if sub in MODULES else (node.lineno, target, alias.name)


def ours(target: str) -> bool:
    return target == PACKAGE or target.startswith(PACKAGE + ".")


def private_uses(tree: ast.AST, module: str) -> list[str]:
    """Imports of another module's private names or of a private module from outside its package, and
    attribute access ``x._name`` on a name ``x`` imported from another ipflow_lib module."""
    found, foreign = [], set()
    for line, target, name in imports(tree, module):
        if not ours(target):
            continue
        parts = target.split(".")
        for i, part in enumerate(parts):
            owner = ".".join(parts[:i])
            if is_private(part) and not (module == owner or module.startswith(owner + ".")):
                found.append(f"{module}:{line} imports private module {target} from outside {owner}")
                break
        if name is not None and is_private(name) and target != module:
            found.append(f"{module}:{line} imports the private name {name} of {target}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            foreign |= {(a.asname or a.name.split(".")[0]) for a in node.names if ours(a.name)}
        elif isinstance(node, ast.ImportFrom) and ours(resolve(node, module) or "") and resolve(node, module) != module:
            foreign |= {a.asname or a.name for a in node.names}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and is_private(node.attr) and isinstance(node.value, ast.Name)
                and node.value.id in foreign):
            found.append(f"{module}:{node.lineno} uses the private name {node.value.id}.{node.attr}")
    return found


def parse_module(path: Path) -> ast.AST:
    return ast.parse(path.read_text(), filename=str(path))


# ---------------------------------------------------------------------------------------------------
# Chapters: their code cells
# ---------------------------------------------------------------------------------------------------

FENCE = re.compile(r"^(`{3,})\{code-cell\}")


def code_cells(path: Path) -> list[tuple[int, list[str]]]:
    """``(line number of the fence, body lines)`` of every ```` ```{code-cell} ```` block (options lines included)."""
    cells, lines, i = [], path.read_text().splitlines(), 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, start, i = match.group(1), i + 1, i + 1
        while i < len(lines) and not re.fullmatch(re.escape(fence) + r"`*\s*", lines[i]):
            i += 1
        cells.append((start, lines[start:i]))
        i += 1
    return cells


def cell_code(body: list[str]) -> str:
    """The Python of a cell body: ``:option:`` lines and a leading ``---`` options block dropped, magics blanked."""
    lines = list(body)
    if lines and lines[0].strip() == "---":
        end = next((k for k in range(1, len(lines)) if lines[k].strip() == "---"), 0)
        lines = [""] * (end + 1) + lines[end + 1:]
    lines = ["" if re.match(r"^:\w[\w-]*:", ln) else ln for ln in lines]
    return "\n".join("pass" if ln.lstrip().startswith(("%", "!")) else ln for ln in lines)


# ---------------------------------------------------------------------------------------------------
# (a) layering
# ---------------------------------------------------------------------------------------------------


def test_every_module_belongs_to_a_layer():
    units = {unit_of(m) for m in MODULES}
    assert units - set(LAYER) == set(), "place the new module in LAYERS (and in README.md's table)"
    assert {"runtime", "datasets", "estimators", "experiments", "plotting", "cli"} <= units  # the walk found them


def test_no_module_imports_from_a_higher_layer():
    violations = []
    for module, path in MODULES.items():
        here = unit_of(module)
        for line, target, _name in imports(parse_module(path), module):
            if ours(target) and unit_of(target) != here and LAYER[unit_of(target)] > LAYER[here]:
                violations.append(f"{module}:{line} ({here}, layer {LAYER[here]}) imports {target} "
                                  f"(layer {LAYER[unit_of(target)]})")
    assert violations == [], "\n".join(violations)


def test_the_layer_check_sees_lazy_and_relative_imports():
    """The walk must not miss the imports the library actually uses: inside functions, relative, ``from .. import``."""
    tree = ast.parse("def f():\n    from .. import ntk\n    from ..estimators._common import x\n"
                     "    import ipflow_lib.cli\n")
    found = {(t, n) for _, t, n in imports(tree, "ipflow_lib.experiments.demo")}
    assert found == {("ipflow_lib.ntk", None), ("ipflow_lib.estimators._common", "x"), ("ipflow_lib.cli", None)}
    assert private_uses(tree, "ipflow_lib.experiments.demo") == [
        "ipflow_lib.experiments.demo:3 imports private module ipflow_lib.estimators._common from outside "
        "ipflow_lib.estimators"
    ]
    cli_before = "from . import experiments\nexperiments._common.PRESET_ENV\nfrom .runtime import _flag\n"
    assert len(private_uses(ast.parse(cli_before), "ipflow_lib.cli")) == 2
    own_package = "from ._common import cached_run\nfrom ._sweep import run_resumable\n"
    assert private_uses(ast.parse(own_package), "ipflow_lib.experiments.depth") == []


# ---------------------------------------------------------------------------------------------------
# (b) private names
# ---------------------------------------------------------------------------------------------------


def test_no_module_reaches_into_another_modules_private_names():
    violations = [v for module, path in MODULES.items() for v in private_uses(parse_module(path), module)]
    assert violations == [], "\n".join(violations)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapters_use_only_public_names(chapter):
    violations = []
    for line, body in code_cells(chapter):
        tree = ast.parse(cell_code(body), filename=f"{chapter.name}:{line}")
        violations += [f"{chapter.name}:{line}: {v}" for v in private_uses(tree, "chapter")]
    assert violations == [], "\n".join(violations)


# ---------------------------------------------------------------------------------------------------
# (c), (d) thin chapters
# ---------------------------------------------------------------------------------------------------


def test_code_cells_are_found_with_their_whole_body(tmp_path):
    page = tmp_path / "p.md"
    page.write_text("text\n```{code-cell} ipython3\n:tags: [hide-input]\n\nx = 1\n```\n\n````{code-cell}\ny\n````\n")
    assert code_cells(page) == [(2, [":tags: [hide-input]", "", "x = 1"]), (8, ["y"])]
    assert len(code_cells(CHAPTERS[0])) > 0


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_no_chapter_code_cell_is_longer_than_15_lines(chapter):
    """Counts the code of each cell, blank lines included; its options (a leading ``---`` YAML block with the
    figure caption and alt text, ``:tags:`` lines) are metadata, not code."""
    def n_lines(body):
        code = list(body)
        if code and code[0].strip() == "---":
            end = next((k for k in range(1, len(code)) if code[k].strip() == "---"), 0)
            code = code[end + 1:]
        return len([ln for ln in code if not re.match(r"^:\w[\w-]*:", ln)])

    long = [f"{chapter.name}:{line}: {n_lines(body)} lines" for line, body in code_cells(chapter)
            if n_lines(body) > MAX_CELL_LINES]
    assert long == [], "cells over 15 lines belong in the library:\n" + "\n".join(long)


def verdict_fstrings(code: str) -> list[str]:
    """f-strings whose literal text contains a verdict word (the chapter would be choosing a conclusion in code)."""
    words = re.compile(r"\b(" + "|".join(VERDICT_WORDS) + r")\b", re.IGNORECASE)
    found = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
            if words.search(text):
                found.append(f"line {node.lineno}: {ast.unparse(node)[:80]}")
    return found


def test_the_verdict_heuristic_flags_sentences_not_numbers():
    assert verdict_fstrings('s = f"the data {verb} compression" if x else f"both layers {n}"')
    assert verdict_fstrings('print(f"{n} inputs, H(Y) = {h:.3f} bits")') == []
    assert verdict_fstrings('s = "supports"') == []  # a plain string is not a built sentence


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapters_do_not_build_verdict_sentences(chapter):
    found = [f"{chapter.name}:{line}: {v}" for line, body in code_cells(chapter)
             for v in verdict_fstrings(cell_code(body))]
    assert found == [], "verdicts are library functions returning a sentence, glued in:\n" + "\n".join(found)
