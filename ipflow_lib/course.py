"""The course plan: sessions over the chapters, and each chapter's measured runtime (the instructor page).

The plan is data (:data:`PLAN`, :data:`SESSIONS`): for every chapter its title, the experiments its code
runs (names of :func:`ipflow_lib.experiments.available`), the chapters and background it builds on, its
learning goals and its exercises by label, each with the experiments it reruns with a changed config.
``tests/test_course.py`` checks the plan against the chapters' sources and the table of contents.

Runtimes are never typed: :func:`runtimes` reads them from the computation. Every result carries the
:class:`~ipflow_lib.experiments.RunInfo` of the run that produced it, whose ``elapsed_s`` is that run's
compute time even when the result is loaded from the cache. An experiment that runs another one inside its
own computation (:data:`RUNS_INSIDE`: the generalization bounds read the training-size sweep) has the inner
run's time in its ``elapsed_s`` when the inner result was computed then and not loaded; :func:`own_seconds`
takes it out, so that a chapter's runtime, the time a student waits running that chapter alone with an empty
cache, counts every computation once.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping

from . import experiments
from .experiments import RunInfo

__all__ = [
    "Chapter",
    "Exercise",
    "PLAN",
    "RUNS_INSIDE",
    "SESSIONS",
    "Session",
    "chapter",
    "exercise_runtimes",
    "exercise_table",
    "format_seconds",
    "measurements",
    "own_seconds",
    "runtime_table",
    "runtimes",
    "session_plan",
    "summary",
]


@dataclasses.dataclass(frozen=True)
class Exercise:
    """One exercise of a chapter: its ``label`` and the experiments a student reruns to solve it.

    ``reruns`` names experiments (``"training-size"``) run again with a changed config, once per entry (an
    exercise comparing 10 and 100 bins names its experiment twice); empty when the exercise needs only pen
    and paper, the chapter's cached results or small library calls (seconds). ``self_check``: the student
    checks the answer with :func:`ipflow_lib.exercises.check`.
    """

    label: str
    reruns: tuple[str, ...] = ()
    self_check: bool = False


@dataclasses.dataclass(frozen=True)
class Chapter:
    """A chapter of the course, or a section of one with its own page: ``doc`` is its path in ``_toc.yml``
    (``"chapters/02_information_plane"``)."""

    doc: str
    number: int
    title: str
    experiments: tuple[str, ...]
    requires: tuple[str, ...]  # docs of the chapters it builds on
    background: str  # what a student should know from outside the book
    goals: tuple[str, ...]
    exercises: tuple[Exercise, ...]
    section: int = 0  # > 0: a section page of chapter ``number`` (``_toc.yml`` "sections"), numbered as the book
    # numbers it: after the chapter's own sections (tests/test_course.py checks it against the sources)

    @property
    def label(self) -> str:
        """``"5"`` for a chapter, ``"5.8"`` for a section page: how the book numbers it."""
        return f"{self.number}.{self.section}" if self.section else f"{self.number}"

    @property
    def key(self) -> str:
        """:attr:`label` usable in a glue name: ``"5"``, ``"5_8"``."""
        return self.label.replace(".", "_")

    @property
    def order(self) -> tuple[int, int]:
        """Position in the book: (chapter, section)."""
        return self.number, self.section


@dataclasses.dataclass(frozen=True)
class Session:
    """One class meeting: the chapters it covers and what it is about."""

    title: str
    chapters: tuple[str, ...]  # docs
    focus: str


CH1, CH2, CH3, CH4 = ("chapters/01_information_bottleneck", "chapters/02_information_plane",
                      "chapters/03_depth_data_ib_bound", "chapters/04_compression_generalization")
CH5, CH6, CH7 = ("chapters/05_estimating_information", "chapters/06_infinite_ensembles", "chapters/07_dual_ib")
CH5_LINEAR, CH5_NOISY = "chapters/05_linear_networks", "chapters/05_noisy_networks"

PLAN: tuple[Chapter, ...] = (
    Chapter(
        CH1, 1, "Information theory and the information bottleneck", ("ib-bound",), (),
        "discrete probability, logarithms, Lagrange multipliers",
        ("compute entropy, mutual information and KL divergence on probability tables",
         "state the data-processing inequality and what a sufficient statistic is",
         "solve the IB equations by iteration and read the IB curve and its critical β"),
        (Exercise("ex-ib-bsc", self_check=True), Exercise("ex-ib-die", self_check=True), Exercise("ex-ib-slope"),
         Exercise("ex-ib-merge"), Exercise("ex-ib-eps", ("ib-bound",))),
    ),
    Chapter(
        CH2, 2, "The information plane of deep networks", ("information-plane",), (CH1,),
        "training a multilayer perceptron by stochastic gradient descent",
        ("estimate I(X;T) and I(T;Y) of a layer by binning and know what the estimate depends on",
         "read the fitting and compression phases off the information plane",
         "relate the phases to the drift and diffusion of the gradients (their SNR)"),
        (Exercise("ex-ip-bins", ("information-plane", "information-plane")),
         Exercise("ex-ip-fullbatch", ("information-plane",)), Exercise("ex-ip-ceilings", self_check=True),
         Exercise("ex-ip-overlap", self_check=True), Exercise("ex-ip-sgd-rate", ("information-plane",) * 2),
         Exercise("ex-ip-sgd-step", self_check=True)),
    ),
    Chapter(
        CH3, 3, "Training size, depth and the IB bound", ("training-size", "depth", "ib-layers"), (CH1, CH2),
        "the information plane of chapter 2",
        ("say how the size of the training set changes the information plane and what overfitting looks like",
         "measure how depth speeds up compression, with phase times from the trajectories",
         "place converged layers against the IB bound and fit their β"),
        (Exercise("ex-szt-bins-size", ("training-size", "training-size")), Exercise("ex-szt-depth-level"),
         Exercise("ex-szt-soft-bound"), Exercise("ex-szt-steps", self_check=True),
         Exercise("ex-szt-corner", self_check=True), Exercise("ex-szt-equal-epochs", ("training-size",)),
         Exercise("ex-szt-decoder", self_check=True)),
    ),
    Chapter(
        CH4, 4, "Compression and generalization", ("generalization",), (CH3,),
        "PAC bounds and the union bound; the typical set (AEP)",
        ("derive the input compression bound from the AEP and compare it with the classical bound",
         "evaluate both bounds on trained layers against the measured generalization gap",
         "say where the argument is loose and what later work objected"),
        (Exercise("ex-icb-bins", ("generalization", "generalization")), Exercise("ex-icb-delta"),
         Exercise("ex-icb-max-info", self_check=True), Exercise("ex-icb-classical", self_check=True)),
    ),
    Chapter(
        CH5, 5, "Estimating mutual information, and the compression debate",
        ("estimator-benchmarks", "compression-debate", "mnist-debate", "digits-probes"), (CH2,),
        "kernel density estimation; PyTorch modules",
        ("compare binning, KDE bounds and KSG on tasks with known mutual information",
         "see how the compression verdict depends on the estimator, the activation and the batch size",
         "probe the information plane of any PyTorch model with forward hooks"),
        (Exercise("ex-kde-noise", ("compression-debate",)), Exercise("ex-kde-limits"),
         Exercise("ex-kde-by-hand", self_check=True), Exercise("ex-miller-madow", self_check=True),
         Exercise("ex-goldfeld")),
    ),
    Chapter(
        CH5_LINEAR, 5, "Deep linear networks: information without an estimator", ("linear-networks",), (CH5,),
        "linear regression; the entropy of a Gaussian vector",
        ("compute I(X;T) and I(T;Y) of a linear network with noise exactly, from its weights",
         "see a network overfit while I(X;T) keeps growing: generalization without compression",
         "separate the information about task-relevant and task-irrelevant inputs, for GD and SGD"),
        (Exercise("ex-linear-irrelevant", self_check=True), Exercise("ex-linear-rescale"),
         Exercise("ex-linear-samples", ("linear-networks",))),
        section=8,
    ),
    Chapter(
        CH5_NOISY, 5, "Noisy networks: compression as clustering", ("noisy-networks",), (CH5, CH5_LINEAR),
        "Gaussian mixtures and Monte Carlo integration",
        ("estimate I(X;T) of a network with noisy hidden units by sample propagation, with its error",
         "measure the clustering of a layer's representations over training",
         "test whether compression of I(X;T), clustering and the binned estimate go together"),
        (Exercise("ex-noisy-saturated", self_check=True), Exercise("ex-noisy-beta"),
         Exercise("ex-noisy-propagation"), Exercise("ex-noisy-radius", ("noisy-networks",))),
        section=9,
    ),
    Chapter(
        CH6, 6, "Information in infinite ensembles of infinitely wide networks",
        ("infinite-ensembles", "infinite-ensembles-mnist", "ntk-finite-width"), (CH1, CH5),
        "Gaussian processes and kernels; linear ODEs",
        ("derive the Gaussian channel of an infinite ensemble from the NTK",
         "compute I(X;Z) and I(Z;Y) of that channel through training and over weight scales",
         "test whether finite networks behave like the infinite ensemble"),
        (Exercise("ex-ntk-relu"), Exercise("ex-ntk-freeze"), Exercise("ex-ntk-slope", self_check=True),
         Exercise("ex-ntk-bayes", self_check=True),
         Exercise("ex-ntk-mnist-collapse", self_check=True), Exercise("ex-ntk-nce")),
    ),
    Chapter(
        CH7, 7, "The dual information bottleneck", ("dual-ib", "variational-dual-ib"), (CH1,),
        "exponential families; variational autoencoders",
        ("write the dual IB equations and how they differ from the IB",
         "compare information curves and critical β of the IB and the dual IB",
         "train the variational IB and dual IB on real MNIST digits"),
        (Exercise("ex-dual-decoder", self_check=True), Exercise("ex-dual-bsc", self_check=True),
         Exercise("ex-dual-gauss"), Exercise("ex-dual-finite")),
    ),
)

SESSIONS: tuple[Session, ...] = (
    Session("Information and the bottleneck", (CH1,),
            "the quantities, the IB principle and the IB curve of the 12-bit task"),
    Session("The information plane", (CH2,), "the two phases and the gradients, rerun from scratch"),
    Session("Data, depth and generalization", (CH3, CH4),
            "one training-size sweep read twice, against the IB bound and as a generalization bound"),
    Session("The compression debate", (CH5,), "what an estimate of I(X;T) measures; tanh against ReLU"),
    Session("The critics' experiments", (CH5_LINEAR, CH5_NOISY),
            "exact information in linear networks, and noisy networks whose compression is clustering"),
    Session("Infinite ensembles", (CH6,), "information without estimation: the NTK's Gaussian channel"),
    Session("The dual bottleneck, and the verdict", (CH7,),
            "the dual IB; then the scorecard page: which claims hold, measured"),
)

RUNS_INSIDE: dict[str, tuple[str, ...]] = {
    # experiment -> the experiments its computation runs (at the same preset)
    "generalization": ("training-size",),
    "ib-layers": ("training-size", "ib-bound"),
}


def chapter(doc: str) -> Chapter:
    """The plan's chapter ``doc`` (``"chapters/02_information_plane"``); ``KeyError`` if it has none."""
    for entry in PLAN:
        if entry.doc == doc:
            return entry
    raise KeyError(f"no chapter {doc!r} in the course plan; it has {', '.join(c.doc for c in PLAN)}")


def _closure(names: tuple[str, ...] | list[str]) -> list[str]:
    """``names`` and everything they run inside, each once, inner runs first."""
    order: list[str] = []

    def visit(name: str) -> None:
        for inner in RUNS_INSIDE.get(name, ()):
            visit(inner)
        if name not in order:
            order.append(name)

    for name in names:
        visit(name)
    return order


def measurements(preset: str = "quick") -> dict[str, RunInfo]:
    """The :class:`RunInfo` of every experiment of the plan at ``preset``, by experiment name.

    Each experiment is run with ``module.PRESETS[preset]`` (loaded from the cache when it has been computed,
    computed otherwise: inner experiments first, so that a fresh computation measures each once).
    """
    if preset not in experiments.PRESET_NAMES:
        raise ValueError(f"preset must be one of {experiments.PRESET_NAMES}, got {preset!r}")
    infos = {}
    for name in _closure([n for entry in PLAN for n in entry.experiments]):
        module = experiments.get(name)
        infos[name] = module.run(module.PRESETS[preset]).info
    return infos


def _ran_inside(outer: RunInfo, inner: RunInfo, slack_s: float = 1.0) -> bool:
    """Whether ``inner`` was computed during ``outer`` (its ``elapsed_s`` then includes ``inner``'s).

    ``created`` is the end of a run (to the second) and ``elapsed_s`` its length: the inner run ended inside
    the outer one's time window and took no longer than it.
    """
    end = time.mktime(time.strptime(outer.created, "%Y-%m-%d %H:%M:%S"))
    inner_end = time.mktime(time.strptime(inner.created, "%Y-%m-%d %H:%M:%S"))
    window = end - outer.elapsed_s - slack_s <= inner_end <= end + slack_s
    return window and inner.elapsed_s <= outer.elapsed_s + slack_s


def own_seconds(infos: Mapping[str, RunInfo]) -> dict[str, float]:
    """Compute time of each experiment without the experiments it ran inside (:data:`RUNS_INSIDE`), seconds.

    An inner run counts against the outer one only if it was computed during it (not loaded from the cache);
    the result is never negative.
    """
    own = {}
    for name, info in infos.items():
        inner = [infos[i] for i in RUNS_INSIDE.get(name, ()) if i in infos and _ran_inside(info, infos[i])]
        own[name] = max(info.elapsed_s - sum(i.elapsed_s for i in inner), 0.0)
    return own


def _infos(preset: str, infos: Mapping[str, RunInfo] | None) -> Mapping[str, RunInfo]:
    return measurements(preset) if infos is None else infos


def runtimes(preset: str = "quick", *, infos: Mapping[str, RunInfo] | None = None) -> dict[str, float]:
    """Measured compute time of every chapter of the plan, in seconds, by doc.

    The time a student waits when running the chapter alone with an empty cache: the own compute time
    (:func:`own_seconds`) of each experiment the chapter runs and of those they run inside, each once.
    ``infos`` (from :func:`measurements`) saves loading the results again.
    """
    own = own_seconds(_infos(preset, infos))
    return {entry.doc: float(sum(own[n] for n in _closure(entry.experiments))) for entry in PLAN}


def exercise_runtimes(preset: str = "quick", *, infos: Mapping[str, RunInfo] | None = None
                      ) -> dict[str, dict[str, float]]:
    """Compute time each exercise needs, in seconds, by doc and label (0.0: no experiment is rerun).

    Every rerun of an experiment costs about its measured time at ``preset`` (plus the experiments it runs
    inside): an upper bound where the exercise asks for a smaller configuration.
    """
    own = own_seconds(_infos(preset, infos))
    return {
        entry.doc: {ex.label: float(sum(sum(own[n] for n in _closure([name])) for name in ex.reruns))
                    for ex in entry.exercises}
        for entry in PLAN
    }


def format_seconds(seconds: float) -> str:
    """``"< 0.1 s"``, ``"0.4 s"``, ``"42 s"``, ``"3 min 05 s"`` or ``"1 h 02 min"``: a duration for a table."""
    if seconds < 0 or seconds != seconds:
        raise ValueError(f"seconds must be a non-negative number, got {seconds!r}")
    if seconds < 0.05:
        return "< 0.1 s"
    if seconds < 10:
        return f"{seconds:.1f} s"
    total = round(seconds)
    if total < 60:
        return f"{total} s"
    if total < 3600:
        return f"{total // 60} min {total % 60:02d} s"
    return f"{total // 3600} h {total % 3600 // 60:02d} min"


def _row(cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _table(header, rows) -> str:
    return "\n".join([_row(header), _row(["---"] * len(header)), *(_row(r) for r in rows)])


def runtime_table(preset: str = "quick", *, infos: Mapping[str, RunInfo] | None = None) -> str:
    """MyST table: per chapter (linked with ``{doc}``), its experiments and its measured runtime at ``preset``.

    The book shows it with ``{glue:md}`` and ``:format: myst`` (so that the links resolve).
    """
    infos = _infos(preset, infos)
    times = runtimes(preset, infos=infos)
    own = own_seconds(infos)
    rows = []
    for entry in PLAN:
        names = ", ".join(f"`{n}` ({format_seconds(own[n])})" for n in _closure(entry.experiments))
        rows.append([entry.label, f"{{doc}}`/{entry.doc}`", names, format_seconds(times[entry.doc])])
    return _table(["chapter", "title", f"experiments (own compute time, `{preset}`)", "runtime"], rows)


def exercise_table(preset: str = "quick", *, infos: Mapping[str, RunInfo] | None = None) -> str:
    """MyST table: per exercise (``{numref}``: "Exercise 2.1"), what it reruns and the compute time it needs."""
    needs = exercise_runtimes(preset, infos=infos)
    rows = []
    for entry in PLAN:
        for ex in entry.exercises:
            reruns = ", ".join(f"`{n}`" for n in ex.reruns) or "—"
            time_needed = format_seconds(needs[entry.doc][ex.label]) if ex.reruns else "seconds"
            rows.append([entry.label, f"{{numref}}`{ex.label}`", "yes" if ex.self_check else "—", reruns,
                         time_needed])
    return _table(["chapter", "exercise", "self-check", "reruns", f"compute time (`{preset}`)"], rows)


def session_plan() -> str:
    """MyST text of :data:`SESSIONS`: per session its chapters (linked), what they build on, the background
    a student needs and the learning goals, one bullet each."""
    blocks = []
    for k, session in enumerate(SESSIONS, 1):
        chapters = [chapter(doc) for doc in session.chapters]
        requires = [chapter(d).label for d in sorted({d for c in chapters for d in c.requires}
                                                      - {c.doc for c in chapters}, key=lambda d: chapter(d).order)]
        links = ", ".join(f"{{doc}}`/{c.doc}`" for c in chapters)
        builds_on = (f"chapter{'s' if len(requires) > 1 else ''} {', '.join(map(str, requires))}" if requires
                     else "nothing earlier")
        background = "; ".join(c.background for c in chapters)
        goals = "\n".join(f"- {goal}" for c in chapters for goal in c.goals)
        blocks.append(f"**Session {k}: {session.title}.** {links}: {session.focus}. Builds on {builds_on}; "
                      f"background: {background}. After it a student can\n\n{goals}")
    return "\n\n".join(blocks)


def summary(preset: str = "quick", *, infos: Mapping[str, RunInfo] | None = None) -> dict[str, object]:
    """Flat numbers for the instructor page's prose: ``runtime_<key>`` (seconds) per chapter and
    section page (``runtime_5``, ``runtime_5_8``, :attr:`Chapter.key`) and totals.

    ``runtime_total`` counts every experiment once (the whole course from an empty cache);
    ``slowest_title`` and ``slowest_runtime`` name the chapter that takes longest.
    """
    infos = _infos(preset, infos)
    times = runtimes(preset, infos=infos)
    by_number = {entry.key: times[entry.doc] for entry in PLAN}
    slowest = max(PLAN, key=lambda entry: times[entry.doc])
    out: dict[str, object] = {f"runtime_{n}": t for n, t in by_number.items()}
    out |= {f"runtime_{n}_text": format_seconds(t) for n, t in by_number.items()}
    total = float(sum(own_seconds(infos).values()))
    out |= {
        "course_preset": preset,
        "n_sessions": len(SESSIONS),
        "n_chapters": sum(1 for entry in PLAN if not entry.section),
        "n_sections": sum(1 for entry in PLAN if entry.section),
        "n_exercises": sum(len(entry.exercises) for entry in PLAN),
        "n_rerun_exercises": sum(1 for entry in PLAN for ex in entry.exercises if ex.reruns),
        "n_self_checks": sum(1 for entry in PLAN for ex in entry.exercises if ex.self_check),
        "runtime_total": total,
        "runtime_total_text": format_seconds(total),
        "slowest_title": slowest.title,
        "slowest_number": slowest.label,
        "slowest_runtime_text": format_seconds(times[slowest.doc]),
    }
    return out
