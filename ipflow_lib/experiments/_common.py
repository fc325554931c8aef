"""What every experiment shares: the preset switch, the on-disk result cache and its key.

The preset is read in exactly one place, :func:`preset_name`, from the environment variable
``IPFLOW_PRESET`` (``paper`` by default, or ``quick``). Results are cached with :class:`joblib.Memory`
under :func:`cache_dir`, keyed by :func:`cache_key`: the experiment's name, its frozen ``Config`` (less the
fields that do not change the numbers, see :func:`key_config`) and a hash of the sources of the
``ipflow_lib`` modules its computation imports (:func:`source_modules`; never ``plotting`` or the CLI).
Editing prose or a figure never recomputes; editing a module reruns only the experiments that import it.
Long computations save :class:`~ipflow_lib.runtime.Checkpoint` files as they go: an interrupted run resumes.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import hashlib
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import joblib

from ..runtime import Checkpoint, progress  # noqa: F401 (re-exported for the experiments)

PRESET_ENV = "IPFLOW_PRESET"
CACHE_ENV = "IPFLOW_CACHE"
PRESET_NAMES = ("paper", "quick")
DEFAULT_PRESET = "paper"

PACKAGE = "ipflow_lib"
#: Modules never part of a cache key: figures and the command line do not change the numbers.
NOT_IN_KEY = ("ipflow_lib.plotting", "ipflow_lib.cli")
_ROOT = Path(__file__).resolve().parents[1]  # the ipflow_lib folder

C = TypeVar("C")


def preset_name(preset: str | None = None) -> str:
    """The preset to use: ``preset`` if given, else ``$IPFLOW_PRESET``, else ``"paper"``.

    Raises
    ------
    ValueError
        If the name is not one of ``"paper"`` or ``"quick"``.
    """
    name = preset if preset is not None else os.environ.get(PRESET_ENV, "").strip() or DEFAULT_PRESET
    if name not in PRESET_NAMES:
        raise ValueError(
            f"unknown preset {name!r} (from {'the argument' if preset is not None else '$' + PRESET_ENV}); "
            f"expected one of {PRESET_NAMES}"
        )
    return name


def select_config(presets: Mapping[str, C], preset: str | None = None) -> C:
    """The config of ``presets`` for :func:`preset_name` (``preset``)."""
    return presets[preset_name(preset)]


def cache_dir() -> Path:
    """Folder of the result cache: ``$IPFLOW_CACHE``, else ``$XDG_CACHE_HOME/ipflow`` (``~/.cache/ipflow``)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ipflow"


# --------------------------------------------------------------------------------------------------
# The sources a computation depends on
# --------------------------------------------------------------------------------------------------


def _module_file(name: str, root: Path) -> Path | None:
    """The source file of module ``name`` (``ipflow_lib.x.y``) under ``root`` (the ipflow_lib folder), or None."""
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    base = root.joinpath(*parts[1:])
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    if len(parts) > 1 and base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    return None


def _not_in_key(name: str) -> bool:
    return any(name == skip or name.startswith(skip + ".") for skip in NOT_IN_KEY)


@functools.lru_cache(maxsize=512)
def _import_statements(source: bytes, name: str, is_package: bool) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Every ``import`` / ``from ... import`` of ``source`` (module ``name``), functions' bodies included.

    Returns ``(module, names)`` pairs with relative imports resolved: ``import a.b`` gives ``("a.b", ())``,
    ``from ..x import f, g`` in ``ipflow_lib.experiments.m`` gives ``("ipflow_lib.x", ("f", "g"))``.
    """
    package = name if is_package else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source, filename=name)):
        if isinstance(node, ast.Import):
            found.extend((alias.name, ()) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                if node.level - 1 >= len(base):
                    continue  # beyond the top package: not ours
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((target, tuple(alias.name for alias in node.names)))
    return tuple(found)


def _direct_dependencies(name: str, root: Path) -> set[str]:
    """The ``ipflow_lib`` modules that module ``name`` imports (see :func:`source_modules` for the rules)."""
    path = _module_file(name, root)
    deps: set[str] = set()
    for target, names in _import_statements(path.read_bytes(), name, path.name == "__init__.py"):
        if target != PACKAGE and not target.startswith(PACKAGE + "."):
            continue
        submodules = {f"{target}.{n}" for n in names if n != "*" and _module_file(f"{target}.{n}", root)}
        deps |= submodules
        # the module itself (a package: its __init__), except the root package when only its submodules are
        # named: its __init__ just lists them lazily (`from .. import ntk` means ipflow_lib.ntk)
        if target != PACKAGE or len(submodules) < len(names) or not names:
            deps.add(target)
    return {d for d in deps if not _not_in_key(d) and _module_file(d, root) is not None}


def source_modules(module: str, root: str | os.PathLike | None = None) -> tuple[str, ...]:
    """The ``ipflow_lib`` modules whose sources the computation of ``module`` depends on, sorted.

    Found statically: the ``import`` and ``from ... import`` statements of ``module`` (inside functions too,
    where the experiments import lazily), and of every module they name, transitively. Relative imports are
    resolved (``from .. import ntk`` in an experiment means ``ipflow_lib.ntk``); ``from pkg import name``
    includes ``pkg/__init__.py`` and, when ``name`` is a submodule, that submodule (the root package's
    ``__init__``, which only names the submodules lazily, counts only when a name is taken from it). An
    experiment that runs another one imports it, so it depends on that one's sources too.
    ``ipflow_lib.plotting`` and ``ipflow_lib.cli`` are never included (:data:`NOT_IN_KEY`).

    Parameters
    ----------
    module : dotted name, e.g. ``"ipflow_lib.experiments.information_plane"``
    root : folder holding the ``ipflow_lib`` sources to read (default: this installed package)

    Raises
    ------
    ValueError
        If ``module`` is not an ``ipflow_lib`` module with a source file under ``root``.
    """
    root = _ROOT if root is None else Path(root)
    if _module_file(module, root) is None:
        raise ValueError(f"module {module!r} is not an {PACKAGE} module with a source file under {root}")
    seen, todo = {module}, [module]
    while todo:
        for dep in _direct_dependencies(todo.pop(), root):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return tuple(sorted(seen))


def _hash_files(names: tuple[str, ...], root: Path) -> str:
    h = hashlib.sha256()
    for name in names:
        h.update(name.encode() + b"\0")
        h.update(_module_file(name, root).read_bytes())
    return h.hexdigest()[:16]


def source_hash(module: str, root: str | os.PathLike | None = None) -> str:
    """SHA-256 (first 16 hex digits) of the names and sources of :func:`source_modules` (``module``).

    With the default ``root`` the hash is computed once per process, so that it describes the code this
    process imported even if the files are edited while it runs (a notebook kernel).
    """
    if root is None:
        return _installed_source_hash(module)
    return _hash_files(source_modules(module, root), Path(root))


@functools.cache
def _installed_source_hash(module: str) -> str:
    return _hash_files(source_modules(module), _ROOT)


@functools.lru_cache(maxsize=1)
def library_hash() -> str:
    """SHA-256 (first 16 hex digits) of every ``ipflow_lib`` source but ``plotting`` and the CLI.

    The source part of the cache key of a computation defined outside ``ipflow_lib`` (a script, a test),
    whose imports :func:`source_modules` cannot follow.
    """
    h = hashlib.sha256()
    for path in sorted(_ROOT.rglob("*.py")):
        rel = path.relative_to(_ROOT)
        name = ".".join((PACKAGE, *rel.with_suffix("").parts)).removesuffix(".__init__")
        if not _not_in_key(name):
            h.update(str(rel).encode() + b"\0")
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _sources_of(compute: Callable) -> str:
    """The source part of ``compute``'s key: :func:`source_hash` of its module, else :func:`library_hash`."""
    module = getattr(compute, "__module__", None) or ""
    if module.startswith(PACKAGE + ".") and _module_file(module, _ROOT) is not None:
        return source_hash(module)
    return library_hash()


# --------------------------------------------------------------------------------------------------
# The key
# --------------------------------------------------------------------------------------------------


def key_config(config: Any) -> Any:
    """``config`` with every setting that does not change the numbers reset to its default.

    Such settings are dataclass fields declared with ``dataclasses.field(..., metadata={"cache_key": False})``
    (worker counts, for instance). Nested dataclasses (also inside tuples, lists and dicts) are treated the
    same way; anything else is returned as it is.

    Raises
    ------
    ValueError
        If a field marked ``cache_key: False`` has no default to reset it to.
    """
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        changes = {}
        for f in dataclasses.fields(config):
            if not f.init:
                continue  # derived in __post_init__ from the others
            value = getattr(config, f.name)
            if f.metadata.get("cache_key", True):
                new = key_config(value)
            elif f.default is not dataclasses.MISSING:
                new = f.default
            elif f.default_factory is not dataclasses.MISSING:
                new = f.default_factory()
            else:
                raise ValueError(
                    f"{type(config).__name__}.{f.name} is marked cache_key=False but has no default to reset it to"
                )
            if new is not value:
                changes[f.name] = new
        return dataclasses.replace(config, **changes) if changes else config
    if type(config) in (tuple, list):
        items = [key_config(v) for v in config]
        return config if all(a is b for a, b in zip(items, config, strict=True)) else type(config)(items)
    if type(config) is dict:
        items = {k: key_config(v) for k, v in config.items()}
        return config if all(items[k] is config[k] for k in config) else items
    return config


def cache_key(experiment: str, config: Any, module: str | None, *, root: str | os.PathLike | None = None) -> str:
    """The cache key of ``experiment`` run with ``config`` (hex string): results and checkpoints are filed under it.

    It hashes the experiment's name, :func:`key_config` (``config``) and the :func:`source_hash` of
    ``module``, the module whose ``_compute`` makes the result (``None``: :func:`library_hash`, for a
    computation defined outside ``ipflow_lib``); ``root`` as in :func:`source_modules`.
    """
    sources = library_hash() if module is None else source_hash(module, root)
    return joblib.hash((experiment, key_config(config), sources))


@dataclasses.dataclass(frozen=True)
class RunInfo:
    """Provenance of a result: which experiment, preset and sources produced it, and how long it took.

    ``source_hash`` is :func:`source_hash` of the experiment's module: it changes exactly when the result
    is recomputed because a source it depends on changed.
    """

    experiment: str
    preset: str | None
    source_hash: str
    elapsed_s: float
    created: str
    from_cache: bool = False

    def describe(self) -> str:
        """One line for a chapter: preset, compute time, and whether it was loaded from the cache."""
        minutes, seconds = divmod(round(self.elapsed_s), 60)
        took = f"{minutes} min {seconds} s" if minutes else f"{self.elapsed_s:.1f} s"
        preset = f"the `{self.preset}` preset" if self.preset else "a custom configuration"
        where = "loaded from the cache" if self.from_cache else "computed in this build"
        return (
            f"Experiment `{self.experiment}` with {preset}: {took} of computation "
            f"({where}, library sources {self.source_hash})."
        )


def _preset_of(config: Any, presets: Mapping[str, Any] | None) -> str | None:
    key = key_config(config)
    for name, cfg in (presets or {}).items():
        if key_config(cfg) == key:
            return name
    return None


def _execute(key: str, experiment: str, sources: str, config: Any, compute: Callable, presets: Mapping | None):
    """The cached call: ``compute(config, checkpoint)`` plus provenance (joblib keys on ``key`` only)."""
    checkpoint = Checkpoint(cache_dir() / "checkpoints" / f"{experiment}-{key}.pkl")
    state = checkpoint.load()
    # compute time of earlier, interrupted runs counts (Checkpoint.save records it)
    checkpoint.clock_start = time.perf_counter() - float(state.get("_elapsed_s", 0.0) if state else 0.0)
    result = compute(config, checkpoint)
    info = RunInfo(
        experiment=experiment,
        preset=_preset_of(config, presets),
        source_hash=sources,
        elapsed_s=time.perf_counter() - checkpoint.clock_start,
        created=time.strftime("%Y-%m-%d %H:%M:%S"),
    )
    checkpoint.clear()
    return dataclasses.replace(result, info=info)


def cached_run(
    experiment: str,
    config: Any,
    compute: Callable[[Any, Checkpoint], Any],
    presets: Mapping[str, Any] | None = None,
    *,
    use_cache: bool = True,
):
    """Run ``compute(config, checkpoint)`` once per :func:`cache_key` and cache the result.

    The key covers ``experiment``, ``config`` (less its ``cache_key: False`` fields) and the sources of the
    modules that ``compute``'s module imports (:func:`source_modules`). ``compute`` must return a dataclass
    with an ``info`` field (filled here with a :class:`RunInfo`); a result loaded from the cache has
    ``info.from_cache`` set and, if it has a ``config`` field, the caller's ``config`` (which may differ in
    settings outside the key, such as worker counts). A corrupt cache entry is reported by joblib and
    recomputed. The checkpoint of an interrupted run is filed under the same key.
    """
    sources = _sources_of(compute)
    key = joblib.hash((experiment, key_config(config), sources))  # = cache_key(experiment, config, module)
    args = (key, experiment, sources, config, compute, presets)
    if not use_cache:
        return _execute(*args)
    memory = joblib.Memory(cache_dir() / "results", verbose=0)
    call = memory.cache(_execute, ignore=["experiment", "sources", "config", "compute", "presets"])
    hit = call.check_call_in_cache(*args)
    result = call(*args)
    if hit:
        result = dataclasses.replace(result, info=dataclasses.replace(result.info, from_cache=True))
        if "config" in {f.name for f in dataclasses.fields(result)}:
            result = dataclasses.replace(result, config=config)
    return result


def clear_cache() -> Path:
    """Delete every cached result and checkpoint; returns the folder that was cleared."""
    import shutil

    folder = cache_dir()
    for sub in ("results", "checkpoints"):
        shutil.rmtree(folder / sub, ignore_errors=True)
    return folder
