"""The command line as a tough user meets it: typos, bad presets, broken cache paths. Each bad input gives one
line on stderr and exit status 2, before anything is computed; nothing else is caught."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ipflow_lib import cli, experiments


def ipflow(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess:
    """``python -m ipflow_lib.cli ARGS`` in a fresh process, with ``env`` over the test's environment."""
    full = {**os.environ, "IPFLOW_PROGRESS": "0", **env}
    return subprocess.run([sys.executable, "-m", "ipflow_lib.cli", *args], capture_output=True, text=True,
                          env=full, cwd=cwd, timeout=120)


def one_line_error(out: subprocess.CompletedProcess, *words: str) -> None:
    """Exit 2, one line on stderr that names ``words``, no traceback."""
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ipflow: "), out.stderr
    assert "Traceback" not in out.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])


def test_a_typo_in_the_second_name_fails_before_the_first_runs(tmp_path):
    out = ipflow("run", "ib-bound", "informaton-plane", "--preset", "quick", IPFLOW_CACHE=str(tmp_path))
    one_line_error(out, "'informaton-plane'", "did you mean 'information-plane'", "available:")
    assert "ib-bound: preset" not in out.stderr
    assert not (tmp_path / "results").exists()  # nothing was computed, not even the first experiment
    one_line_error(ipflow("run", "all", "ib-bound", IPFLOW_CACHE=str(tmp_path)), "'all'")


def test_a_bad_preset_from_the_environment_or_the_option(tmp_path):
    one_line_error(ipflow("run", "ib-bound", IPFLOW_CACHE=str(tmp_path), IPFLOW_PRESET="bogus"),
                   "'bogus'", "$IPFLOW_PRESET", "paper")
    assert not (tmp_path / "results").exists()
    one_line_error(ipflow("run", "ib-bound", "--preset", "bogus", IPFLOW_CACHE=str(tmp_path)),
                   "'bogus'", "ib-bound", "paper and quick")
    # a preset that only some experiments define names them, and nothing runs
    one_line_error(ipflow("run", "depth", "ib-bound", "--preset", "paper-text", IPFLOW_CACHE=str(tmp_path)),
                   "'paper-text'", "for ib-bound", "depth", "information-plane")
    assert not (tmp_path / "results").exists()


def test_a_cache_under_a_regular_file_or_an_impossible_path(tmp_path):
    regular = tmp_path / "a-file"
    regular.write_text("not a folder")
    for args in (("run", "ib-bound", "--preset", "quick"), ("cache", "clear")):
        one_line_error(ipflow(*args, IPFLOW_CACHE=str(regular / "cache")), str(regular), "is not a folder")
    assert regular.read_text() == "not a folder"
    # /proc accepts no new folders, even for root
    one_line_error(ipflow("run", "ib-bound", "--preset", "quick", IPFLOW_CACHE="/proc/ipflow-cache"),
                   "/proc/ipflow-cache", "not writable")


def test_an_empty_cache_variable_is_an_error_and_never_clears_the_default_cache(tmp_path):
    default = tmp_path / "xdg" / "ipflow" / "results"
    default.mkdir(parents=True)
    (default / "entry").write_text("precious")
    for args in (("cache", "clear"), ("cache", "path"), ("run", "ib-bound")):
        one_line_error(ipflow(*args, IPFLOW_CACHE="", XDG_CACHE_HOME=str(tmp_path / "xdg")), "$IPFLOW_CACHE", "empty")
    assert (default / "entry").read_text() == "precious"


def test_cache_clear_removes_results_and_says_when_there_is_nothing(tmp_path):
    cache = tmp_path / "cache"
    out = ipflow("cache", "clear", IPFLOW_CACHE=str(cache))
    assert out.returncode == 0 and "nothing to clear" in out.stdout and not cache.exists()
    (cache / "results" / "x").mkdir(parents=True)
    (cache / "checkpoints").mkdir()
    (cache / "keep.txt").write_text("not ours")
    out = ipflow("cache", "clear", IPFLOW_CACHE=str(cache))
    assert out.returncode == 0 and out.stdout.strip() == f"cleared {cache}"
    assert sorted(p.name for p in cache.iterdir()) == ["keep.txt"]  # only what the cache wrote


def test_a_relative_cache_is_resolved_against_the_working_directory_and_said_so(tmp_path):
    out = ipflow("cache", "path", cwd=tmp_path, IPFLOW_CACHE="rel/cache")
    assert out.returncode == 0 and out.stdout.strip() == str(tmp_path / "rel" / "cache")
    assert "relative" in out.stderr and str(tmp_path / "rel" / "cache") in out.stderr


def test_a_good_run_computes_then_loads(tmp_path):
    first = ipflow("run", "ib-bound", "--preset", "quick", IPFLOW_CACHE=str(tmp_path))
    assert first.returncode == 0 and "computed in this build" in first.stderr, first.stderr
    again = ipflow("run", "ib_bound", IPFLOW_CACHE=str(tmp_path), IPFLOW_PRESET="quick")  # `_` spelling too
    assert again.returncode == 0 and "loaded from the cache" in again.stderr, again.stderr


def test_an_error_inside_an_experiment_is_not_dressed_up_as_a_usage_error(monkeypatch):
    """Only bad names, presets and cache paths are caught: a KeyError from inside a run keeps its traceback."""
    module = experiments.get("ib-bound")

    def broken(config):
        raise KeyError("params")

    monkeypatch.setattr(module, "run", broken)
    with pytest.raises(KeyError, match="params"):
        cli.main(["run", "ib-bound", "--preset", "quick"])


def test_a_preset_name_where_a_config_is_expected():
    module = experiments.get("ib-bound")
    with pytest.raises(TypeError, match=r"must be a ipflow_lib\.experiments\.ib_bound\.Config.*PRESETS\['quick'\]"):
        module.run("quick")
    with pytest.raises(TypeError, match="got int 3"):
        module.run(3)
