"""The result cache's key: config (less the settings that do not change the numbers) + the sources of the
modules an experiment imports. Editing a figure never recomputes; editing a module reruns what imports it."""

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import ipflow_lib
from ipflow_lib import experiments, runtime
from ipflow_lib.experiments import cache_key, cached_run, key_config, source_hash, source_modules

PACKAGE_DIR = Path(ipflow_lib.__file__).resolve().parent
EXPERIMENTS = experiments.available()


def module_of(name: str) -> str:
    return f"ipflow_lib.experiments.{name.replace('-', '_')}"


@pytest.fixture(scope="module")
def package_copy(tmp_path_factory):
    """A copy of the ipflow_lib sources (``<tmp>/ipflow_lib``) to edit."""
    parent = tmp_path_factory.mktemp("src")
    shutil.copytree(PACKAGE_DIR, parent / "ipflow_lib", ignore=shutil.ignore_patterns("__pycache__"))
    return parent / "ipflow_lib"


class edited:
    """Append a comment to ``root/relative`` for the duration of a ``with`` block (a harmless source edit)."""

    def __init__(self, root: Path, relative: str):
        self.path = root / relative

    def __enter__(self):
        self.original = self.path.read_bytes()
        self.path.write_bytes(self.original + b"\n# an edit\n")

    def __exit__(self, *exc):
        self.path.write_bytes(self.original)


def hashes(root: Path) -> dict[str, str]:
    return {name: source_hash(module_of(name), root) for name in EXPERIMENTS}


# ---------------------------------------------------------------------------------------------------
# Which sources: the import graph
# ---------------------------------------------------------------------------------------------------


def test_source_modules_follow_the_imports_of_the_real_experiments():
    ip = source_modules(module_of("information-plane"))
    assert {"ipflow_lib.estimators", "ipflow_lib.estimators.binning", "ipflow_lib.ensembles",
            "ipflow_lib.runtime", "ipflow_lib.experiments._common"} <= set(ip)
    assert "ipflow_lib.bottleneck" not in ip and "ipflow_lib.ntk" not in ip
    assert "ipflow_lib.estimators.binning" not in source_modules(module_of("dual-ib"))
    assert "ipflow_lib.bottleneck" in source_modules(module_of("dual-ib"))  # `from .. import bottleneck`
    # lazy imports inside functions count: infinite_ensembles imports ntk in its compute function
    assert "ipflow_lib.ntk" in source_modules(module_of("infinite-ensembles"))
    # an experiment that runs another depends on that one's sources
    assert module_of("training-size") in source_modules(module_of("generalization"))
    for name in EXPERIMENTS:
        mods = source_modules(module_of(name))
        assert module_of(name) in mods
        assert not [m for m in mods if m.startswith("ipflow_lib.plotting") or m == "ipflow_lib.cli"], name
        assert "ipflow_lib" not in mods, name  # the root __init__ only names submodules lazily


def test_import_resolution_rules_on_a_small_package(tmp_path):
    root = tmp_path / "ipflow_lib"
    files = {
        "__init__.py": "",
        "low.py": "X = 1\n",
        "unused.py": "",
        "plotting/__init__.py": "from .figs import *\n",
        "plotting/figs.py": "",
        "pkg/__init__.py": "from .a import f\n",
        "pkg/a.py": "def f():\n    from ..deep.inner import g  # relative, two levels, inside a function\n",
        "pkg/b.py": "",
        "deep/__init__.py": "",
        "deep/inner.py": "import ipflow_lib.low\n",
        "top.py": "from . import pkg\nfrom .pkg import b\nfrom . import plotting\nfrom .. import outside\n",
        "attr.py": "from ipflow_lib import __version__\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    assert source_modules("ipflow_lib.top", root) == (
        "ipflow_lib.deep.inner", "ipflow_lib.low", "ipflow_lib.pkg", "ipflow_lib.pkg.a",
        "ipflow_lib.pkg.b", "ipflow_lib.top",
    )  # `from .pkg import b` adds the package's __init__ (and through it a.py); plotting never; root never
    assert source_modules("ipflow_lib.attr", root) == ("ipflow_lib", "ipflow_lib.attr")  # a name of the root
    with pytest.raises(ValueError, match="no_such"):
        source_modules("ipflow_lib.no_such", root)


def test_editing_plotting_or_the_cli_leaves_every_experiment_key_unchanged(package_copy):
    before = hashes(package_copy)
    assert before == {name: source_hash(module_of(name)) for name in EXPERIMENTS}  # copy == installed
    plotting_files = sorted((package_copy / "plotting").glob("*.py"))
    assert plotting_files
    for path in plotting_files:
        with edited(package_copy, str(path.relative_to(package_copy))):
            assert hashes(package_copy) == before, path.name
    with edited(package_copy, "cli.py"):
        assert hashes(package_copy) == before


def test_editing_an_estimator_changes_exactly_the_experiments_that_import_it(package_copy):
    before = hashes(package_copy)
    with edited(package_copy, "estimators/binning.py"):
        after = hashes(package_copy)
    assert after["information-plane"] != before["information-plane"]
    assert after["dual-ib"] == before["dual-ib"] and after["ib-bound"] == before["ib-bound"]
    assert hashes(package_copy) == before  # the edit undone: the old key again


def test_editing_an_experiment_changes_the_experiments_that_run_it(package_copy):
    before = hashes(package_copy)
    with edited(package_copy, "experiments/training_size.py"):
        after = hashes(package_copy)
    assert after["training-size"] != before["training-size"]
    assert after["generalization"] != before["generalization"]
    assert after["information-plane"] == before["information-plane"]
    with edited(package_copy, "ntk.py"):
        after = hashes(package_copy)
    assert after["infinite-ensembles"] != before["infinite-ensembles"]
    assert after["information-plane"] == before["information-plane"]


# ---------------------------------------------------------------------------------------------------
# Which settings: the config less its cache_key=False fields
# ---------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Inner:
    width: int = 4
    n_workers: int | None = dataclasses.field(default=None, metadata={"cache_key": False})


@dataclasses.dataclass(frozen=True)
class Outer:
    rate: float = 0.1
    inner: Inner = Inner()
    parts: tuple = (Inner(),)
    n_threads: int = dataclasses.field(default=1, metadata={"cache_key": False})


def test_key_config_resets_the_settings_outside_the_key_also_in_nested_configs():
    config = Outer(rate=0.5, inner=Inner(width=7, n_workers=8), parts=(Inner(3, 2),), n_threads=6)
    assert key_config(config) == Outer(rate=0.5, inner=Inner(width=7), parts=(Inner(3),))
    assert key_config(Outer()) is not None and key_config(Outer()) == Outer()
    assert cache_key("e", config, None) == cache_key("e", Outer(0.5, Inner(7), (Inner(3),)), None)
    assert cache_key("e", config, None) != cache_key("e", dataclasses.replace(config, rate=0.25), None)
    assert cache_key("e", config, None) != cache_key("e", Outer(0.5, Inner(6), (Inner(3),)), None)
    assert cache_key("e", config, None) != cache_key("other", config, None)

    @dataclasses.dataclass(frozen=True)
    class NoDefault:
        n_workers: int = dataclasses.field(metadata={"cache_key": False})

    with pytest.raises(ValueError, match="n_workers"):
        key_config(NoDefault(3))


def test_worker_counts_stay_out_of_the_real_sweep_keys():
    from ipflow_lib.experiments import generalization, training_size

    cfg = training_size.PRESETS["quick"]
    module = module_of("training-size")
    assert cache_key("training-size", dataclasses.replace(cfg, n_workers=1), module) == cache_key(
        "training-size", cfg, module)
    nested = dataclasses.replace(generalization.PRESETS["quick"], sweep=dataclasses.replace(cfg, n_workers=3))
    assert cache_key("generalization", nested, module_of("generalization")) == cache_key(
        "generalization", generalization.PRESETS["quick"], module_of("generalization"))


# ---------------------------------------------------------------------------------------------------
# cached_run itself
# ---------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class R:
    config: Inner
    value: int
    info: object = None


def test_checkpoint_is_filed_under_the_cache_key_and_worker_counts_reuse_the_result():
    seen = []

    def compute(config, checkpoint):
        seen.append(checkpoint.path.name)
        return R(config, config.width * 10)

    first = cached_run("toy-key", Inner(width=2, n_workers=1), compute, {"quick": Inner(width=2)})
    assert seen == [f"toy-key-{cache_key('toy-key', Inner(width=2), None)}.pkl"]
    assert first.value == 20 and not first.info.from_cache and first.info.preset == "quick"
    again = cached_run("toy-key", Inner(width=2, n_workers=4), compute, {"quick": Inner(width=2)})
    assert again.info.from_cache and len(seen) == 1 and again.value == 20
    assert again.config.n_workers == 4  # the caller's config, not the one of the run that filled the cache
    assert cached_run("toy-key", Inner(width=3), compute).value == 30 and len(seen) == 2


TINY_EXPERIMENT = '''
import dataclasses

from ._common import cached_run


@dataclasses.dataclass(frozen=True)
class Config:
    n: int = 3
    n_workers: int | None = dataclasses.field(default=None, metadata={"cache_key": False})


@dataclasses.dataclass
class Result:
    config: Config
    value: int
    info: object = None


def _compute(config, checkpoint):
    from ..estimators import binning  # noqa: F401 - a lazy import, as the experiments do

    return Result(config=config, value=2 * config.n)


def run(config=None):
    return cached_run("tiny-probe", config or Config(), _compute)
'''

RUN_TINY = '''
import json, sys
sys.path.insert(0, sys.argv[1])
import ipflow_lib
from ipflow_lib.experiments import tiny_probe
assert ipflow_lib.__file__.startswith(sys.argv[1]), ipflow_lib.__file__
result = tiny_probe.run(tiny_probe.Config(n_workers=int(sys.argv[2])))
print(json.dumps({"value": result.value, "from_cache": result.info.from_cache, "hash": result.info.source_hash}))
'''


def test_a_real_cached_run_survives_a_plotting_edit_and_reruns_after_an_estimator_edit(tmp_path):
    """Fresh processes on an edited copy of the package, one result cache: what a rebuild of the book does."""
    src = tmp_path / "src"
    shutil.copytree(PACKAGE_DIR, src / "ipflow_lib", ignore=shutil.ignore_patterns("__pycache__"))
    (src / "ipflow_lib" / "experiments" / "tiny_probe.py").write_text(TINY_EXPERIMENT)
    script = tmp_path / "run_tiny.py"
    script.write_text(textwrap.dedent(RUN_TINY))
    env = {**os.environ, "IPFLOW_CACHE": str(tmp_path / "cache"), "PYTHONDONTWRITEBYTECODE": "1"}

    def run(n_workers: int) -> dict:
        out = subprocess.run([sys.executable, str(script), str(src), str(n_workers)], env=env, check=True,
                             capture_output=True, text=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    first = run(1)
    assert first == {"value": 6, "from_cache": False, "hash": first["hash"]}
    with edited(src / "ipflow_lib", "plotting/style.py"), edited(src / "ipflow_lib", "cli.py"):
        assert run(2) == {**first, "from_cache": True}  # a figure edit and another worker count: reused
    with edited(src / "ipflow_lib", "datasets/tishby.py"):
        assert run(1)["from_cache"]  # not imported by this experiment
    with edited(src / "ipflow_lib", "estimators/binning.py"):
        changed = run(1)
    assert not changed["from_cache"] and changed["hash"] != first["hash"]


# ---------------------------------------------------------------------------------------------------
# Progress bars: the CLI's choice without writing the environment
# ---------------------------------------------------------------------------------------------------


def test_set_progress_is_used_unless_the_environment_says_otherwise(monkeypatch):
    monkeypatch.delenv(runtime.PROGRESS_ENV, raising=False)
    try:
        runtime.set_progress(True)
        assert not runtime.progress(range(3)).disable
        runtime.set_progress(False)
        assert runtime.progress(range(3)).disable
        monkeypatch.setenv(runtime.PROGRESS_ENV, "1")
        assert not runtime.progress(range(3)).disable  # the user's explicit choice wins
        with pytest.raises(TypeError, match="enabled"):
            runtime.set_progress("yes")
    finally:
        runtime.set_progress(None)


# ---------------------------------------------------------------------------------------------------
# The cache folder: $IPFLOW_CACHE checked, a relative one resolved once
# ---------------------------------------------------------------------------------------------------


def test_an_empty_cache_variable_is_an_error_not_the_default_folder(monkeypatch):
    monkeypatch.setenv("IPFLOW_CACHE", "  ")
    with pytest.raises(experiments.CacheError, match="empty"):
        experiments.cache_dir()
    with pytest.raises(experiments.CacheError, match="empty"):
        experiments.clear_cache()
    with pytest.raises(experiments.CacheError, match="empty"):
        cached_run("toy-empty", 1, lambda config, checkpoint: R(Inner(), 1))


def test_a_relative_cache_folder_is_resolved_once_per_process(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("IPFLOW_CACHE", f"rel-{tmp_path.name}")
    first = experiments.cache_dir()
    assert first == tmp_path / f"rel-{tmp_path.name}" and first.is_absolute()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # a notebook that changes folder keeps its cache
    assert experiments.cache_dir() == first


def test_a_cache_folder_under_a_regular_file_is_reported_in_one_line(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("IPFLOW_CACHE", str(tmp_path / "file" / "cache"))
    for call in (experiments.check_cache_dir, experiments.clear_cache,
                 lambda: cached_run("toy-file", 1, lambda config, checkpoint: R(Inner(), 1))):
        with pytest.raises(experiments.CacheError, match=r"is not a folder") as err:
            call()
        assert "\n" not in str(err.value) and str(tmp_path / "file") in str(err.value)
