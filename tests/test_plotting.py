"""The plotting package re-exports every topic module with `*`: public names must not shadow each other."""

import importlib
import pkgutil

import ipflow_lib.plotting as plotting


def test_public_names_are_unique_across_plotting_modules():
    seen = {}
    for info in pkgutil.iter_modules(plotting.__path__):
        module = importlib.import_module(f"ipflow_lib.plotting.{info.name}")
        for name in getattr(module, "__all__", []):
            assert name not in seen, f"{name} is exported by both {seen[name]} and {info.name}"
            seen[name] = info.name
            assert getattr(plotting, name) is getattr(module, name)


def _debate_result():
    """A compression-debate result built by hand: 2 regimes, 3 networks, 4 logged epochs, 3 layers."""
    import numpy as np

    from ipflow_lib.ensembles import Estimates
    from ipflow_lib.experiments import compression_debate

    rng = np.random.default_rng(0)
    epochs = np.array([0, 1, 5, 20])

    def est():
        return Estimates(epochs, rng.uniform(0, 12, (3, 4, 3)), rng.uniform(0, 1, (3, 4, 3)))

    names = ("tanh-minibatch", "relu-fullbatch")
    lens = {k: est() for k in ("bins10", "bins30", "bins100", "adaptive30", "kde_upper", "kde_lower", "noisy")}
    lens["noisy_stderr"] = est()
    estimates = {names[0]: lens, names[1]: {k: est() for k in ("bins30", "adaptive30", "kde_upper", "kde_lower")}}
    acc = {n: np.full((3, 4), 0.5) for n in names}
    return compression_debate.Result(config=None, regimes=names, logged_epochs=epochs, estimates=estimates,
                                     train_acc=acc, test_acc=acc, train_loss=acc, layer_widths=(4, 3, 2))


def test_debate_figures_draw_the_panels_they_name():
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np

    result = _debate_result()
    fig = plotting.lens_planes(result)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible() and ax.get_title()]
    assert titles == [plotting.ESTIMATOR_TITLES[k] for k in plotting.ESTIMATOR_TITLES]
    fig = plotting.regime_planes(result, "adaptive30")
    assert [ax.get_title() for ax in fig.axes if ax.get_title()] == [
        "tanh-minibatch, binning, own range", "relu-fullbatch, binning, own range"]
    fig = plotting.regime_compression(result, ["kde_upper"])
    heights = [p.get_height() for p in fig.axes[0].patches]  # regime after regime, layer after layer
    want = np.concatenate([result.compression(r, "kde_upper").mean(axis=0) for r in result.regimes])
    np.testing.assert_allclose(heights, want)
    fig = plotting.lens_curves(result, ["bins30", "noisy"])
    assert [ax.get_title() for ax in fig.axes if ax.get_title()] == ["binning, 30 bins", "noisy layer, Monte Carlo"]
    matplotlib.pyplot.close("all")
