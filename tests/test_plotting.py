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


def _plane_data(seed=0, n_networks=3, n_logged=6):
    """Trajectories whose last three layers end on top of each other (as the first layers do at 12 bits)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    final_x = np.array([12.0, 11.99, 11.9, 9.0, 6.0, 2.0])
    final_y = np.array([1.0, 0.999, 0.995, 0.97, 0.95, 0.9])
    t = np.linspace(0, 1, n_logged)[None, :, None]
    i_xt = final_x * (0.6 + 0.4 * t) + 0.01 * rng.standard_normal((n_networks, n_logged, 6))
    i_ty = final_y * (0.1 + 0.9 * t) + 0.001 * rng.standard_normal((n_networks, n_logged, 6))
    return i_xt, i_ty, np.arange(n_logged) * 10


def _boxes_overlap(a, b):
    return not (a.x1 <= b.x0 or b.x1 <= a.x0 or a.y1 <= b.y0 or b.y1 <= a.y0)


def test_information_plane_layer_labels_name_every_layer_once_and_never_overlap():
    import re

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    i_xt, i_ty, epochs = _plane_data()
    fig = plotting.information_plane(i_xt, i_ty, epochs, h_x=12.0, h_y=1.0)
    ax = fig.axes[0]
    labels = [t for t in ax.texts if t.get_text().startswith("L")]
    named = []
    for t in labels:
        text = t.get_text()
        span = re.fullmatch(r"L(\d+)–L(\d+)", text)
        named += list(range(int(span[1]), int(span[2]) + 1)) if span else [int(k) for k in re.findall(r"L(\d+)", text)]
    assert sorted(named) == [1, 2, 3, 4, 5, 6]  # every layer exactly once
    assert "L1–L3" in [t.get_text() for t in labels]  # the three layers that end together share a label
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in labels]
    for i in range(len(boxes)):
        assert ax.bbox.x0 <= boxes[i].x0 and boxes[i].x1 <= ax.bbox.x1  # inside the axes
        assert ax.bbox.y0 <= boxes[i].y0 and boxes[i].y1 <= ax.bbox.y1
        for j in range(i):
            assert not _boxes_overlap(boxes[i], boxes[j]), (labels[i].get_text(), labels[j].get_text())
    plt.close("all")


def test_layer_labels_rejects_mismatched_positions():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pytest

    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="same length"):
        plotting.layer_labels(ax, [1.0, 2.0], [1.0])
    plt.close(fig)


def test_gradient_snr_labels_its_panels_and_lists_every_line_style():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    rng = np.random.default_rng(1)
    epochs = np.arange(8)
    gm, gs = rng.uniform(0.5, 2, (2, 8, 3)), rng.uniform(0.5, 2, (2, 8, 3))
    fig = plotting.gradient_snr(epochs, gm, gs, weight_norm=np.ones_like(gm), transitions=np.array([2.0, np.nan, 5.0]))
    left, right = fig.axes[:2]
    assert "gradient norm" in left.get_ylabel() and "SNR" in right.get_ylabel()
    assert left.get_ylabel() != right.get_ylabel()
    drawn = {line.get_linestyle() for ax in (left, right) for line in ax.get_lines()}
    listed = {h.get_linestyle() for ax in (left, right) for h in ax.get_legend().legend_handles}
    assert drawn <= listed  # solid mean, dashed std, dotted transitions, the SNR = 1 line
    snr = right.get_lines()[0].get_ydata()
    np.testing.assert_allclose(snr, gm[..., 0].mean(axis=0) / gs[..., 0].mean(axis=0))
    plt.close("all")


def test_information_curves_legend_lists_layers_band_and_ceiling():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    i_xt, i_ty, epochs = _plane_data()
    fig = plotting.information_curves(i_xt, i_ty, epochs, h_x=12.0, h_y=1.0, layer_names=[f"L{k}" for k in range(6)])
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts[:6] == [f"L{k}" for k in range(6)]
    assert any("10–90 %" in t for t in texts) and any("ceiling" in t for t in texts)
    widths = [line.get_linewidth() for line in fig.axes[0].get_lines()[:6]]
    assert all(a > b for a, b in zip(widths[:3], widths[1:4], strict=True))  # earlier layers stay visible below
    plt.close("all")


def test_frame_indices_are_distinct_log_spaced_and_span_the_run():
    import numpy as np
    import pytest

    for n_logged, n_frames in ((964, 48), (240, 48), (5, 48), (2, 2), (100, 100)):
        idx = plotting.frame_indices(n_logged, n_frames)
        assert idx.size == min(n_frames, n_logged)
        assert idx[0] == 0 and idx[-1] == n_logged - 1 and np.all(np.diff(idx) > 0)
    idx = plotting.frame_indices(964, 48)
    assert np.sum(idx < 96) > np.sum(idx >= 868)  # more frames early (log spacing) than late
    with pytest.raises(ValueError):
        plotting.frame_indices(10, 1)


def test_animated_information_plane_embeds_one_frame_per_requested_epoch():
    import re

    import matplotlib

    matplotlib.use("Agg")
    import pytest

    i_xt, i_ty, epochs = _plane_data(n_logged=6)
    html = plotting.animated_information_plane(i_xt, i_ty, epochs, h_x=12.0, h_y=1.0, n_frames=4, dpi=30).data
    assert len(re.findall(r"frames\[\d+\] = ", html)) == 4
    assert "font-awesome" not in html and "<link" not in html  # the page asks the network for nothing
    html = plotting.animated_information_plane(i_xt, i_ty, epochs, n_frames=50, dpi=30).data
    assert len(re.findall(r"frames\[\d+\] = ", html)) == 6  # at most one frame per logged epoch
    with pytest.raises(ValueError, match="shape"):
        plotting.animated_information_plane(i_xt, i_ty[:, :-1], epochs)
    with pytest.raises(ValueError, match="shape"):
        plotting.animated_information_plane(i_xt, i_ty, epochs[:-1])
    with pytest.raises(ValueError, match="shape"):
        plotting.animated_information_plane(i_xt[0], i_ty[0], epochs)
    with pytest.raises(ValueError, match="n_frames"):
        plotting.animated_information_plane(i_xt, i_ty, epochs, n_frames=1)


def test_ib_plane_keeps_coinciding_curves_visible_and_lists_every_line():
    """Chapter 7: the IB curve drawn wide underneath, the dual IB dashed on top; the legend names every line."""
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np

    from ipflow_lib import bottleneck as bn

    p_xy = 0.5 * np.array([[0.9, 0.1], [0.2, 0.8]])
    curves = [bn.ib_curve(p_xy, np.geomspace(0.5, 50, 40), kind=k) for k in ("ib", "dualib")]
    fig = plotting.ib_plane(curves, labels=["IB", "dual IB"], linestyles=["-", "--"], linewidths=[4.0, 1.6])
    ax = fig.axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"IB", "dual IB", "cluster splits", "I(X;Y)", "I(T;Y) = I(X;T)"} <= set(legend)
    assert legend.count("cluster splits") == 1  # one entry for the markers of both curves
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert lines["IB"].get_linewidth() == 4.0 and lines["dual IB"].get_linestyle() == "--"
    assert lines["dual IB"].get_zorder() > lines["IB"].get_zorder()  # drawn on top of the wide IB line
    matplotlib.pyplot.close("all")
