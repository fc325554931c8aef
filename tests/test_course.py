"""The course plan (ipflow_lib.course) against the book's sources, its runtimes against RunInfo, and the
student edition of the book (solutions hidden by the local extension)."""

import ast
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, toc_files

from ipflow_lib import course, experiments
from ipflow_lib.experiments import RunInfo

NOT_IN_PLAN = {"intro", "chapters/00_instructor", "chapters/08_scorecard", "bibliography", "chapters/running_at_scale"}
EXERCISE_BODY = re.compile(r"^(`{3,})\{exercise\}[^\n]*\n:label:\s*(\S+)\n(.*?)^\1\s*$", re.S | re.M)
CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```\s*$", re.S | re.M)
EXERCISE = re.compile(r"^`{3,}\{exercise\}[^\n]*\n:label:\s*(\S+)", re.M)


def source(doc: str) -> str:
    return (ROOT / f"{doc}.md").read_text()


def test_every_chapter_of_the_toc_is_in_the_plan_in_order():
    assert [c.doc for c in course.PLAN] == [f for f in toc_files() if f not in NOT_IN_PLAN]
    chapters = [c.number for c in course.PLAN if not c.section]
    assert chapters == list(range(1, len(chapters) + 1))
    # a section page is numbered after its chapter's own sections (the toctree sits at the chapter's end)
    for entry in course.PLAN:
        if entry.section:
            parent = next(c for c in course.PLAN if c.number == entry.number and not c.section)
            own = len(re.findall(r"^## ", CODE_CELL.sub("", source(parent.doc)), re.M))
            pages = [c for c in course.PLAN if c.number == entry.number and c.section]
            assert entry.section == own + 1 + pages.index(entry), entry.doc
    assert [c.order for c in course.PLAN] == sorted(c.order for c in course.PLAN)


def test_sessions_cover_every_chapter_once_in_order():
    covered = [doc for session in course.SESSIONS for doc in session.chapters]
    assert covered == [c.doc for c in course.PLAN]


def test_titles_are_the_chapters_headings():
    for entry in course.PLAN:
        heading = re.search(r"^# (.+)$", source(entry.doc), re.M).group(1).strip()
        assert entry.title == heading, entry.doc


def test_experiments_exist_and_are_those_the_chapter_code_runs():
    available = set(experiments.available())
    for entry in course.PLAN:
        assert set(entry.experiments) <= available, entry.doc
        code = "\n".join(CODE_CELL.findall(source(entry.doc)))
        imported = {name.strip().replace("_", "-")
                    for group in re.findall(r"from ipflow_lib\.experiments import ([\w, ]+)", code)
                    for name in group.split(",")}
        ran = {name.replace("_", "-") for name in re.findall(r"\b(\w+)\.run\(", code)}
        assert set(entry.experiments) == imported & ran, entry.doc


def test_exercise_labels_are_those_of_the_chapter():
    for entry in course.PLAN:
        labels = [ex.label for ex in entry.exercises]
        assert len(labels) == len(set(labels)), entry.doc
        assert labels == EXERCISE.findall(source(entry.doc)), f"{entry.doc}: update its exercises in course.PLAN"
        bodies = {label: body for _, label, body in EXERCISE_BODY.findall(source(entry.doc))}
        for ex in entry.exercises:
            assert set(ex.reruns) <= set(experiments.available()), ex.label
            assert ex.self_check == ("check(" in bodies[ex.label]), f"{ex.label}: self_check"


def test_prerequisites_are_earlier_chapters():
    for entry in course.PLAN:
        assert all(course.chapter(doc).order < entry.order for doc in entry.requires), entry.doc
        assert entry.goals and entry.background
    with pytest.raises(KeyError, match="no chapter"):
        course.chapter("chapters/99_missing")


def test_runs_inside_is_what_the_experiments_compute():
    """An experiment runs another inside iff its module imports that experiment module and calls its run."""
    found = {}
    for name in experiments.available():
        path = ROOT / "ipflow_lib" / "experiments" / f"{name.replace('-', '_')}.py"
        tree = ast.parse(path.read_text())
        modules = {alias.asname or alias.name for node in ast.walk(tree)
                   if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module is None
                   for alias in node.names}
        called = {node.func.value.id for node in ast.walk(tree)
                  if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "run"
                  and isinstance(node.func.value, ast.Name)}
        inner = sorted(m.replace("_", "-") for m in modules & called)
        if inner:
            found[name] = inner
    assert found == {k: sorted(v) for k, v in course.RUNS_INSIDE.items()}


# ---------------------------------------------------------------------------------------------------
# runtimes, read from RunInfo
# ---------------------------------------------------------------------------------------------------


def info(name, elapsed, created):
    return RunInfo(experiment=name, preset="quick", source_hash="x", elapsed_s=elapsed, created=created)


def fake_experiments(monkeypatch, infos):
    """``experiments.get(name).run(PRESETS[preset])`` returns a result carrying ``infos[name]``."""
    calls = []

    def get(name):
        def run(config):
            calls.append((name, config))
            return types.SimpleNamespace(info=infos[name])

        return types.SimpleNamespace(PRESETS={"quick": f"{name}-quick", "paper": f"{name}-paper"}, run=run)

    monkeypatch.setattr(experiments, "get", get)
    return calls


def all_infos():
    """Distinct compute times per experiment of the plan; each run ended an hour after the previous one, so
    none was computed inside another."""
    names = sorted({n for entry in course.PLAN for n in entry.experiments} | {n for v in course.RUNS_INSIDE.values()
                                                                             for n in v})
    return {name: info(name, 10.0 * (k + 1) + 0.25, f"2026-01-01 {k:02d}:00:00") for k, name in enumerate(names)}


def test_runtimes_are_read_from_run_info(monkeypatch):
    infos = all_infos()
    calls = fake_experiments(monkeypatch, infos)
    times = course.runtimes("quick")
    assert {config for _, config in calls} == {f"{n}-quick" for n in infos}  # the preset's config, every one
    expected = {
        "chapters/01_information_bottleneck": infos["ib-bound"].elapsed_s,
        "chapters/03_depth_data_ib_bound": sum(infos[n].elapsed_s for n in ("training-size", "depth", "ib-layers",
                                                                             "ib-bound")),
        "chapters/04_compression_generalization": infos["generalization"].elapsed_s + infos["training-size"].elapsed_s,
    }
    for doc, seconds in expected.items():
        assert times[doc] == pytest.approx(seconds)
    # twice as slow a machine: twice the runtimes (no constant, nothing typed)
    slow = {n: info(n, 2 * i.elapsed_s, i.created) for n, i in infos.items()}
    assert course.runtimes(infos=slow) == pytest.approx({d: 2 * t for d, t in times.items()})
    with pytest.raises(ValueError, match="preset"):
        course.runtimes("fast")


def test_runtimes_of_a_real_run_are_its_compute_time_also_when_loaded(monkeypatch):
    """A real (small) experiment in a fresh cache: computed once, then loaded; the runtime stays the compute time."""
    ch1 = course.chapter("chapters/01_information_bottleneck")
    monkeypatch.setattr(course, "PLAN", (ch1,))
    first = course.measurements("quick")
    assert set(first) == {"ib-bound"} and not first["ib-bound"].from_cache
    again = course.measurements("quick")
    assert again["ib-bound"].from_cache
    assert course.runtimes("quick", infos=again) == {ch1.doc: first["ib-bound"].elapsed_s} != {ch1.doc: 0.0}


def test_an_inner_run_computed_inside_is_counted_once():
    infos = all_infos()
    # training-size (40 s) computed inside generalization (45 s in all): generalization's own time is 5 s
    infos["training-size"] = info("training-size", 40.0, "2026-01-01 10:00:40")
    infos["generalization"] = info("generalization", 45.0, "2026-01-01 10:00:45")
    # ib-bound ended before ib-layers started: loaded there, not computed inside
    infos["ib-layers"] = info("ib-layers", 3.0, "2026-01-01 10:05:00")
    infos["ib-bound"] = info("ib-bound", 2.0, "2026-01-01 10:04:00")
    own = course.own_seconds(infos)
    assert own["generalization"] == pytest.approx(5.0)
    assert own["ib-layers"] == pytest.approx(3.0)
    times = course.runtimes(infos=infos)
    assert times["chapters/04_compression_generalization"] == pytest.approx(45.0)
    assert times["chapters/03_depth_data_ib_bound"] == pytest.approx(40.0 + infos["depth"].elapsed_s + 3.0 + 2.0)
    # the whole course counts every computation once
    assert course.summary(infos=infos)["runtime_total"] == pytest.approx(sum(own.values()))


def test_exercise_runtimes_count_each_rerun():
    infos = all_infos()
    needs = course.exercise_runtimes(infos=infos)
    t = {n: i.elapsed_s for n, i in infos.items()}
    assert needs["chapters/02_information_plane"]["ex-ip-bins"] == pytest.approx(2 * t["information-plane"])
    assert needs["chapters/04_compression_generalization"]["ex-icb-bins"] == pytest.approx(
        2 * (t["generalization"] + t["training-size"]))
    assert needs["chapters/04_compression_generalization"]["ex-icb-delta"] == 0.0
    table = course.exercise_table(infos=infos)
    assert course.format_seconds(2 * t["information-plane"]) in table
    assert table.count("\n") == 1 + sum(len(c.exercises) for c in course.PLAN)


def test_tables_and_summary_show_the_measured_times():
    infos = all_infos()
    times = course.runtimes(infos=infos)
    table = course.runtime_table(infos=infos)
    for row, entry in enumerate(course.PLAN, 2):
        assert course.format_seconds(times[entry.doc]) in table.splitlines()[row]
        assert table.splitlines()[row].startswith(f"| {entry.label} |")
    summary = course.summary(infos=infos)
    slowest = max(course.PLAN, key=lambda c: times[c.doc])
    assert summary["slowest_title"] == slowest.title
    assert summary["runtime_3"] == pytest.approx(times["chapters/03_depth_data_ib_bound"])
    assert summary["n_sessions"] == len(course.SESSIONS)
    plan = course.session_plan()
    assert all(s.title in plan for s in course.SESSIONS)
    assert plan.count("\n- ") == sum(len(c.goals) for c in course.PLAN)  # every goal, once
    assert "Builds on chapters 1, 2;" in plan and "Builds on chapter 1;" in plan  # the session of chapters 3 and 4


def test_format_seconds():
    assert course.format_seconds(0.04) == "< 0.1 s"
    assert course.format_seconds(0.4) == "0.4 s"
    assert course.format_seconds(8.26) == "8.3 s"
    assert course.format_seconds(42.4) == "42 s"
    assert course.format_seconds(185) == "3 min 05 s"
    assert course.format_seconds(3720) == "1 h 02 min"
    with pytest.raises(ValueError, match="seconds"):
        course.format_seconds(-1)


# ---------------------------------------------------------------------------------------------------
# the student edition: the book's own settings and extension, on a one-page book
# ---------------------------------------------------------------------------------------------------

PAGE = """# A tiny chapter

```{exercise}
:label: ex-tiny

What is six times seven?
```

```{solution} ex-tiny
:class: dropdown

The answer is SOLUTIONTEXT42.
```
"""


def tiny_book(root: Path) -> None:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["execute"] = {"execute_notebooks": "off"}
    config["bibtex_bibfiles"] = [str(ROOT / "references.bib")]
    config["exclude_patterns"] = ["_build", "out-*"]
    assert "ipflow_book" in config["sphinx"]["local_extensions"]  # the book's extension, from the repository
    config["sphinx"]["local_extensions"] = {"ipflow_book": str(ROOT / "chapters" / "_ext")}
    (root / "_config.yml").write_text(yaml.safe_dump(config))
    (root / "_toc.yml").write_text("format: jb-book\nroot: index\nchapters:\n  - file: chapters/01_tiny\n")
    (root / "index.md").write_text("# Tiny book\n")
    (root / "chapters").mkdir()
    (root / "chapters" / "01_tiny.md").write_text(PAGE)


def build(root: Path, student: bool) -> str:
    out = root / f"out-{'student' if student else 'full'}"
    env = {**os.environ, "IPFLOW_STUDENT": "1" if student else "0"}
    jb = Path(sys.executable).parent / "jupyter-book"
    done = subprocess.run([str(jb), "build", str(root), "--path-output", str(out), "-W", "-n", "--keep-going"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return (out / "_build" / "html" / "chapters" / "01_tiny.html").read_text()


def test_student_edition_hides_solutions(tmp_path):
    tiny_book(tmp_path)
    full, student = build(tmp_path, student=False), build(tmp_path, student=True)
    assert "six times seven" in full and "six times seven" in student  # the exercise is in both
    assert "SOLUTIONTEXT42" in full
    assert "SOLUTIONTEXT42" not in student
    assert "student edition" in student and "student edition" not in full
