"""Command line: ``ipflow list``, ``ipflow run EXPERIMENT [--preset paper|quick]``, ``ipflow cache clear``."""

from __future__ import annotations

import argparse
import sys

from . import experiments, runtime


def _run(names: list[str], preset: str | None) -> int:
    """Run (or load) each named experiment with the preset's config, passed explicitly to its ``run``."""
    preset = experiments.preset_name(preset)
    runtime.set_progress(sys.stderr.isatty())  # bars on a terminal, unless $IPFLOW_PROGRESS says otherwise
    if names == ["all"]:
        names = experiments.available()
    modules = [experiments.get(name) for name in names]  # an unknown name fails before any computation
    for name, module in zip(names, modules, strict=True):
        print(f"[ipflow] {name}: preset {preset}", file=sys.stderr, flush=True)
        result = module.run(module.PRESETS[preset])
        if getattr(result, "info", None) is not None:
            print(f"[ipflow] {result.info.describe()}", file=sys.stderr, flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ipflow", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the experiments")
    run = sub.add_parser("run", help="run (or load from the cache) one experiment, or 'all'")
    run.add_argument("experiment", nargs="+", help="experiment name(s) from `ipflow list`, or 'all'")
    run.add_argument("--preset", choices=experiments.PRESET_NAMES, default=None,
                     help="default: $IPFLOW_PRESET, else 'paper'")
    cache = sub.add_parser("cache", help="the result cache")
    cache.add_argument("action", choices=["clear", "path"])
    args = parser.parse_args(argv)

    if args.command == "list":
        for name in experiments.available():
            print(name)
        return 0
    if args.command == "run":
        try:
            return _run(args.experiment, args.preset)
        except KeyError as err:
            print(f"ipflow: {err.args[0]}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print(f"\nipflow: interrupted. Finished experiments are cached, and long runs save checkpoints as "
                  f"they go (about every minute) in {experiments.cache_dir() / 'checkpoints'}: the same command "
                  "resumes from the last one.", file=sys.stderr)
            return 130
    if args.action == "path":
        print(experiments.cache_dir())
    else:
        print(f"cleared {experiments.clear_cache()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
