"""What every experiment shares: the preset switch, the on-disk result cache and its key.

The preset is read in exactly one place, :func:`preset_name`, from the environment variable
``IPFLOW_PRESET`` (``paper`` by default, or ``quick``). Results are cached under :func:`cache_dir`, keyed
by :func:`cache_key`: the experiment's name, its frozen ``Config`` (less the fields that do not change the
numbers, see :func:`key_config`) and a hash of the sources of the ``ipflow_lib`` modules its computation
imports (:func:`source_modules`; never ``plotting`` or the CLI). Editing prose or a figure never
recomputes; editing a module reruns only the experiments that import it.

Each cache entry (``results/<experiment>/<key>/output.pkl``) carries a SHA-256 checksum of its bytes,
verified on every load: a truncated or bit-flipped entry is reported, removed and recomputed, and the
result's :class:`RunInfo` says so. A file lock per entry makes a second process that asks for a result
being computed wait for it and load it, instead of computing it again. Long computations save
:class:`~ipflow_lib.runtime.Checkpoint` files as they go: an interrupted run (Ctrl-C, SIGTERM) resumes.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import hashlib
import os
import pickle
import sys
import time
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import joblib

from ..runtime import Checkpoint, Terminated, progress, sigterm_as_interrupt, termination_requested  # noqa: F401

PRESET_ENV = "IPFLOW_PRESET"
CACHE_ENV = "IPFLOW_CACHE"
#: How many experiment processes run at once on this machine (``make book`` sets it to its ``JOBS``), so
#: that a result computed beside others says its time was measured under their load.
PROCESSES_ENV = "IPFLOW_PROCESSES"
PRESET_NAMES = ("paper", "quick")
DEFAULT_PRESET = "paper"

PACKAGE = "ipflow_lib"
#: Modules never part of a cache key: figures and the command line do not change the numbers.
NOT_IN_KEY = ("ipflow_lib.plotting", "ipflow_lib.cli", "ipflow_lib.parallel")  # how, not what, is computed
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


class CacheError(ValueError):
    """The result cache's folder is unusable: ``$IPFLOW_CACHE`` empty, under a regular file, or not writable."""


_resolved: dict[str, Path] = {}  # relative $IPFLOW_CACHE values, resolved once per process


def cache_dir() -> Path:
    """Folder of the result cache: ``$IPFLOW_CACHE``, else ``$XDG_CACHE_HOME/ipflow`` (``~/.cache/ipflow``).

    A relative ``$IPFLOW_CACHE`` is resolved against the working directory the first time this process
    uses it, and that absolute path is kept for the rest of the process (a notebook that changes folder
    keeps its cache). Notebooks run in ``chapters/`` while the command line runs where it is called, so
    give an absolute path to share one cache between them.

    Raises
    ------
    CacheError
        ``$IPFLOW_CACHE`` is set but empty (it never silently means the default cache, so that
        ``IPFLOW_CACHE= ipflow cache clear`` cannot wipe the default one).
    """
    if CACHE_ENV in os.environ:
        value = os.environ[CACHE_ENV]
        if not value.strip():
            raise CacheError(f"${CACHE_ENV} is set but empty; unset it to use the default cache, or set it to a folder")
        if value not in _resolved:
            _resolved[value] = Path(os.path.abspath(Path(value).expanduser()))
        return _resolved[value]
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(os.path.abspath(Path(base) / "ipflow"))


def _source_of_cache() -> str:
    return f"${CACHE_ENV}" if CACHE_ENV in os.environ else "the default cache location"


def _existing_ancestor(path: Path) -> Path:
    """The nearest of ``path`` and its parents that exists (whatever it is)."""
    for candidate in (path, *path.parents):
        if os.path.lexists(candidate):
            return candidate
    return Path(path.anchor)


def check_cache_dir() -> Path:
    """:func:`cache_dir`, created if needed and checked to be a writable folder; returns it.

    Raises
    ------
    CacheError
        With one line saying what is wrong with the folder (a regular file on its path, no permission, an
        empty ``$IPFLOW_CACHE``) and what to do.
    """
    folder = cache_dir()
    blocker = _existing_ancestor(folder)
    if not blocker.is_dir():
        raise CacheError(f"cache folder {folder} (from {_source_of_cache()}) is unusable: {blocker} is not a folder; "
                         f"set ${CACHE_ENV} to a writable folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise CacheError(f"cache folder {folder} (from {_source_of_cache()}) is not writable "
                         f"({err.strerror or err}); set ${CACHE_ENV} to a writable folder") from None
    return folder


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
    is recomputed because a source it depends on changed. ``elapsed_s`` counts every run that built the
    result, interrupted ones included. ``recomputed`` is empty, or why a cache entry that existed was not
    used (it was corrupt). ``processes`` is how many experiment processes ran at once on the machine while it
    was computed (``$IPFLOW_PROCESSES``, 1 when unset): above 1, ``elapsed_s`` was measured under the others'
    load, and a run alone takes less.
    """

    experiment: str
    preset: str | None
    source_hash: str
    elapsed_s: float
    created: str
    from_cache: bool = False
    recomputed: str = ""
    processes: int = 1

    def describe(self) -> str:
        """One line for a chapter: preset, compute time, and whether it was loaded from the cache."""
        minutes, seconds = divmod(round(self.elapsed_s), 60)
        took = f"{minutes} min {seconds} s" if minutes else f"{self.elapsed_s:.1f} s"
        preset = f"the `{self.preset}` preset" if self.preset else "a custom configuration"
        if self.from_cache:
            where = "loaded from the cache"
        elif self.recomputed:
            where = f"recomputed in this build because {self.recomputed}"
        else:
            where = "computed in this build"
        if self.processes > 1:
            where += f", one of {self.processes} experiments computed at once on this machine"
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


def _check_config(experiment: str, config: Any, presets: Mapping[str, Any] | None) -> None:
    """A config of the type of ``presets``' configs (a preset *name* is the usual mistake)."""
    types = tuple({type(c) for c in (presets or {}).values()})
    if isinstance(config, str) or (types and not isinstance(config, types)):
        expected = " or ".join(f"{t.__module__}.{t.__qualname__}" for t in types) or "a config dataclass"
        hint = (f"; to run the {config!r} preset pass PRESETS[{config!r}] (or None: the preset of $IPFLOW_PRESET)"
                if isinstance(config, str) and config in (presets or {}) else "")
        raise TypeError(f"config of {experiment!r} must be a {expected}, got {type(config).__name__} {config!r}{hint}")


def _elapsed_file(checkpoint: Checkpoint) -> Path:
    """Beside the checkpoint: the compute time of earlier, interrupted runs (seconds, text)."""
    return checkpoint.path.with_suffix(".elapsed")


def _earlier_elapsed(checkpoint: Checkpoint, state: dict | None) -> float:
    """Compute time of the interrupted runs before this one: the larger of the checkpoint's and the sidecar's."""
    saved = float(state.get("_elapsed_s", 0.0)) if state else 0.0
    try:
        saved = max(saved, float(_elapsed_file(checkpoint).read_text()))
    except (OSError, ValueError):
        pass  # none yet, or unreadable: the checkpoint's value
    return saved


def _processes() -> int:
    """``$IPFLOW_PROCESSES`` as an int ≥ 1 (unset, empty or not a positive integer: 1)."""
    value = os.environ.get(PROCESSES_ENV, "").strip()
    return int(value) if value.isdigit() and int(value) >= 1 else 1


def _execute(key: str, experiment: str, sources: str, config: Any, compute: Callable, presets: Mapping | None):
    """``compute(config, checkpoint)`` plus provenance. On an interruption (Ctrl-C, SIGTERM, an error) the
    time spent so far is written beside the checkpoint, so that the resumed result reports all of it."""
    checkpoint = Checkpoint(cache_dir() / "checkpoints" / f"{experiment}-{key}.pkl")
    checkpoint.clock_start = time.perf_counter() - _earlier_elapsed(checkpoint, checkpoint.load())
    try:
        result = compute(config, checkpoint)
    except BaseException:
        try:
            _elapsed_file(checkpoint).parent.mkdir(parents=True, exist_ok=True)
            _elapsed_file(checkpoint).write_text(repr(time.perf_counter() - checkpoint.clock_start))
        except OSError:
            pass  # the checkpoint folder is unwritable: Checkpoint.save has warned about it
        raise
    info = RunInfo(
        experiment=experiment,
        preset=_preset_of(config, presets),
        source_hash=sources,
        elapsed_s=time.perf_counter() - checkpoint.clock_start,
        created=time.strftime("%Y-%m-%d %H:%M:%S"),
        processes=_processes(),
    )
    checkpoint.clear()
    try:
        _elapsed_file(checkpoint).unlink(missing_ok=True)
    except OSError:
        pass
    return dataclasses.replace(result, info=info)


# --------------------------------------------------------------------------------------------------
# The store: one checksummed file per entry, one lock per entry
# --------------------------------------------------------------------------------------------------

_MAGIC = b"ipflow-result sha256 "  # header: magic, 64 hex digits of the payload's SHA-256, newline


class _Entry:
    """The cache entry ``results/<experiment>/<key>/output.pkl`` (header + pickle) and its lock file."""

    def __init__(self, experiment: str, key: str):
        self.folder = check_cache_dir() / "results" / experiment / key
        self.path = self.folder / "output.pkl"

    def lock(self):
        from filelock import FileLock

        self.folder.mkdir(parents=True, exist_ok=True)
        return FileLock(self.folder / "output.lock")

    def load(self) -> tuple[Any, str]:
        """``(result, "")``, ``(None, "")`` when there is no entry, or ``(None, why)`` for a corrupt one (removed)."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None, ""
        digest_end = len(_MAGIC) + 64
        if not data.startswith(_MAGIC) or data[digest_end:digest_end + 1] != b"\n":
            problem = "no valid header"
        elif hashlib.sha256(data[digest_end + 1:]).hexdigest().encode() != data[len(_MAGIC):digest_end]:
            problem = "checksum mismatch"
        else:
            try:
                return pickle.loads(data[digest_end + 1:]), ""
            except Exception as err:  # noqa: BLE001 - the checksum matched: a class that no longer unpickles
                problem = f"cannot be unpickled, {type(err).__name__}: {err}"
        warnings.warn(f"cache entry {self.path} is corrupt ({problem}: truncated, damaged or overwritten); it "
                      "was removed and the result is recomputed", RuntimeWarning, stacklevel=5)  # at run()'s caller
        self.path.unlink(missing_ok=True)
        return None, f"the cache entry was corrupt ({problem})"

    def save(self, result: Any) -> None:
        payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        tmp = self.path.with_suffix(f".tmp{os.getpid()}")
        try:
            with open(tmp, "wb") as f:
                f.write(_MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n")
                f.write(payload)
            os.replace(tmp, self.path)
        except OSError as err:
            tmp.unlink(missing_ok=True)
            warnings.warn(f"could not write the cache entry {self.path} ({type(err).__name__}: {err}); the result "
                          "is returned but will be computed again next time", RuntimeWarning, stacklevel=3)


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
    settings outside the key, such as worker counts). A corrupt cache entry (checksum mismatch) is reported
    with a ``RuntimeWarning`` and recomputed, and ``info.recomputed`` says why. While one process computes
    an entry, another asking for it waits (a message on stderr) and then loads it. The checkpoint of an
    interrupted run is filed under the same key; SIGTERM is handled like Ctrl-C (see
    :func:`ipflow_lib.runtime.sigterm_as_interrupt`).

    Raises
    ------
    TypeError
        ``config`` is not of the type of the ``presets`` (a preset name such as ``"quick"`` is not a config).
    CacheError
        The cache folder is unusable (see :func:`check_cache_dir`).
    """
    _check_config(experiment, config, presets)
    sources = _sources_of(compute)
    key = joblib.hash((experiment, key_config(config), sources))  # = cache_key(experiment, config, module)
    args = (key, experiment, sources, config, compute, presets)
    with sigterm_as_interrupt():
        result = _execute(*args) if not use_cache else _cached(experiment, key, args)
        if termination_requested():  # SIGTERM came while code that does not check it ran: the result is kept
            raise Terminated(f"terminated by SIGTERM after {experiment!r} finished (its result is cached)")
    return result


def _cached(experiment: str, key: str, args: tuple):
    """:func:`cached_run`'s store: load the entry, or compute and save it, under the entry's lock."""
    entry = _Entry(experiment, key)
    from filelock import Timeout

    lock = entry.lock()
    try:
        lock.acquire(timeout=0)
    except Timeout:
        print(f"[ipflow] {experiment}: another process is computing this result; waiting for it to finish "
              f"(lock {lock.lock_file})", file=sys.stderr, flush=True)
        lock.acquire()
    try:
        result, problem = entry.load()
        if result is not None:
            result = dataclasses.replace(result, info=dataclasses.replace(result.info, from_cache=True, recomputed=""))
            if "config" in {f.name for f in dataclasses.fields(result)}:
                result = dataclasses.replace(result, config=args[3])  # the caller's config
            return result
        result = _execute(*args)
        if problem:
            result = dataclasses.replace(result, info=dataclasses.replace(result.info, recomputed=problem))
        entry.save(result)
        return result
    finally:
        lock.release()


def clear_cache() -> Path:
    """Delete every cached result and checkpoint; returns the folder that was cleared.

    A folder that does not exist has nothing to clear (it is returned as it is).

    Raises
    ------
    CacheError
        The path cannot be a folder (a regular file on it), or a part of it could not be removed.
    """
    import shutil

    folder = cache_dir()
    blocker = _existing_ancestor(folder)
    if not blocker.is_dir():
        raise CacheError(f"cannot clear the cache {folder} (from {_source_of_cache()}): {blocker} is not a folder")
    for sub in ("results", "checkpoints"):
        if not os.path.lexists(folder / sub):
            continue
        try:
            shutil.rmtree(folder / sub)
        except OSError as err:
            raise CacheError(f"could not clear the cache {folder}: {err}") from None
    return folder
