"""Command line: ``ipflow list``, ``ipflow run EXPERIMENT [--preset paper|quick|NAME] [--backend threads|dask|ray
[--scheduler ADDRESS]]``, ``ipflow cache clear``.

Everything a run needs is checked before anything is computed: every experiment name (a typo in the
second of two names fails at once), the preset (``--preset`` or ``$IPFLOW_PRESET``: ``paper`` or ``quick``,
or with ``--preset`` a control that every named experiment defines, such as ``paper-text`` of ``depth`` and
``information-plane``, the settings of the paper's text that the chapters rerun beside the paper's code) and the
cache folder (``$IPFLOW_CACHE``: not empty, not under a regular file, writable; a relative path is resolved once against
the working directory, and the command says so), and where the trainer calls run (``--backend`` /
``$IPFLOW_BACKEND``, ``--scheduler`` / ``$IPFLOW_SCHEDULER``, see :mod:`ipflow_lib.parallel`: a known
backend, a scheduler address only with dask or ray, the backend's package installed). A bad one prints one
line on stderr and exits with 2.
Ctrl-C exits with 130 and SIGTERM with 143, after the running experiment saved its checkpoints: the same
command resumes.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import time

from . import experiments, parallel, runtime

EXIT_USAGE = 2  # a bad name, preset or cache folder
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
EXIT_TERMINATED = 143  # SIGTERM (128 + SIGTERM)


class _UsageError(Exception):
    """A bad argument or setting of the command line: one line on stderr, exit status 2."""


def _names(requested: list[str]) -> list[str]:
    """The experiments to run, every name checked (with a suggestion for a typo) before any runs."""
    available = experiments.available()
    if requested == ["all"]:
        return available
    if "all" in requested:
        raise _UsageError("'all' runs every experiment; give it alone, not with other names")
    unknown = [name for name in requested if name.replace("_", "-") not in available]
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name.replace("_", "-"), available, n=1)
            hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise _UsageError(f"no experiment {', '.join(hints)}; available: {', '.join(available)}")
    return [name.replace("_", "-") for name in requested]


def _preset(preset: str | None, modules: dict) -> str:
    """``paper`` or ``quick`` (from ``preset`` or ``$IPFLOW_PRESET``), or a further preset that every module
    of ``modules`` (name -> module) has in its ``PRESETS``, such as ``paper-text``."""
    if preset is not None and preset not in experiments.PRESET_NAMES:
        lacking = [name for name, module in modules.items() if preset not in module.PRESETS]
        if not lacking:
            return preset
        having = [name for name in experiments.available() if preset in experiments.get(name).PRESETS]
        raise _UsageError(f"unknown preset {preset!r} for {', '.join(lacking)}; every experiment has "
                          f"{' and '.join(experiments.PRESET_NAMES)}"
                          + (f", and {preset!r} is a preset of {', '.join(having)} only" if having else ""))
    try:
        return experiments.preset_name(preset)
    except ValueError as err:
        raise _UsageError(str(err)) from None


def _backend(name: str | None, scheduler: str | None) -> tuple[str, str | None]:
    """The backend of this run: ``--backend``/``--scheduler``, else the environment; checked, installed."""
    try:
        env_name, env_scheduler = parallel.current_backend()
        if name is None:
            name, scheduler = env_name, scheduler if scheduler is not None else env_scheduler
        elif scheduler is None and name == env_name:
            scheduler = env_scheduler
        return parallel.check_backend(name, scheduler, importable=True)
    except ValueError as err:
        raise _UsageError(str(err)) from None


def _cache_folder(create: bool) -> str:
    """The cache folder, checked (and created when ``create``); a note on stderr when it was relative."""
    try:
        folder = experiments.check_cache_dir() if create else experiments.cache_dir()
    except experiments.CacheError as err:
        raise _UsageError(str(err)) from None
    value = os.environ.get(experiments.CACHE_ENV, "")
    if value and not os.path.isabs(os.path.expanduser(value)):
        print(f"[ipflow] ${experiments.CACHE_ENV}={value!r} is relative: using {folder}", file=sys.stderr)
    return str(folder)


def _run(names: list[str], preset: str | None, backend: str | None = None, scheduler: str | None = None) -> int:
    """Run (or load) each named experiment with the preset's config, passed explicitly to its ``run``, its
    trainer calls on ``backend`` (see :func:`_backend`)."""
    names = _names(names)
    modules = [experiments.get(name) for name in names]  # names are checked: these only import
    preset = _preset(preset, dict(zip(names, modules, strict=True)))
    backend, scheduler = _backend(backend, scheduler)
    folder = _cache_folder(create=True)
    runtime.set_progress(sys.stderr.isatty())  # bars on a terminal, unless $IPFLOW_PROGRESS says otherwise
    try:
        with runtime.sigterm_as_interrupt(), parallel.use_backend(backend, scheduler):
            if backend != "threads":
                print(f"[ipflow] backend {backend}" + (f" at {scheduler}" if scheduler else " (a local cluster)"),
                      file=sys.stderr, flush=True)
            for name, module in zip(names, modules, strict=True):
                print(f"[ipflow] {name}: preset {preset}", file=sys.stderr, flush=True)
                started = time.perf_counter()
                result = module.run(module.PRESETS[preset])
                if getattr(result, "info", None) is not None:
                    print(f"[ipflow] {result.info.describe()}", file=sys.stderr, flush=True)
                print(f"[ipflow] {name}: {time.perf_counter() - started:.0f} s wall, peak memory of this process "
                      f"{_peak_memory_mb():.0f} MB", file=sys.stderr, flush=True)
    except KeyboardInterrupt as err:
        how = "terminated (SIGTERM)" if isinstance(err, runtime.Terminated) else "interrupted"
        print(f"\nipflow: {how}. Finished experiments are cached, and long runs saved checkpoints in "
              f"{os.path.join(folder, 'checkpoints')}: the same command resumes from the last one.",
              file=sys.stderr, flush=True)
        return EXIT_TERMINATED if isinstance(err, runtime.Terminated) else EXIT_INTERRUPTED
    return 0


def _peak_memory_mb() -> float:
    """Peak resident memory of this process so far, MB (``ru_maxrss``: KiB on Linux, bytes on macOS)."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def _cache(action: str) -> int:
    if action == "path":
        print(_cache_folder(create=False))
        return 0
    folder = _cache_folder(create=False)  # an empty $IPFLOW_CACHE is an error, never the default cache
    try:
        existed = os.path.isdir(folder)
        experiments.clear_cache()  # a path that cannot be a folder fails here
    except experiments.CacheError as err:
        raise _UsageError(str(err)) from None
    print(f"cleared {folder}" if existed else f"nothing to clear: there is no cache folder {folder}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ipflow", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the experiments")
    run = sub.add_parser("run", help="run (or load from the cache) one experiment, or 'all'")
    run.add_argument("experiment", nargs="+", help="experiment name(s) from `ipflow list`, or 'all'")
    run.add_argument("--preset", default=None, metavar="|".join(experiments.PRESET_NAMES) + "|NAME",
                     help="default: $IPFLOW_PRESET, else 'paper'; NAME: a further preset of the named "
                          "experiments, e.g. paper-text of depth and information-plane")
    run.add_argument("--backend", default=None, metavar="|".join(parallel.BACKENDS),
                     help="where the trainer calls run (default: $IPFLOW_BACKEND, else threads)")
    run.add_argument("--scheduler", default=None, metavar="ADDRESS",
                     help="dask/ray cluster address, e.g. tcp://host:8786 (default: $IPFLOW_SCHEDULER, else a "
                          "local cluster made for the run)")
    cache = sub.add_parser("cache", help="the result cache")
    cache.add_argument("action", choices=["clear", "path"])
    args = parser.parse_args(argv)

    try:
        if args.command == "list":
            for name in experiments.available():
                print(name)
            return 0
        if args.command == "run":
            return _run(args.experiment, args.preset, args.backend, args.scheduler)
        return _cache(args.action)
    except _UsageError as err:
        print(f"ipflow: {err}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
