"""Speed of the information-plane experiment, as ratios against simple baselines run side by side.

    .venv/bin/python -m benchmarks.bench_information_plane            # ratios (about 2 minutes)
    .venv/bin/python -m benchmarks.bench_information_plane --paper    # + the full paper preset, time and memory

1. Training: the vectorised JAX trainer (all networks at once) against a plain PyTorch loop that trains
   one network at a time, on the same work (12-10-7-5-4-3-2 tanh, Adam, mini-batches of 512, 85 % of the
   12-bit data), in milliseconds per network-epoch.
2. Binning: ``binned_mi`` on all layers of 50 networks at one logged epoch, against a straightforward
   version (np.digitize, then np.unique on the rows of each network's layer).
3. ``--paper``: the `paper` preset end to end in a fresh process (no cache): wall time and peak memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

WIDTHS = (10, 7, 5, 4, 3)


def _masks(n_networks):
    from ipflow_lib.datasets import train_test_masks

    return train_test_masks(4096, 0.85, np.arange(n_networks))


def jax_ms_per_net_epoch(n_networks=50, n_epochs=200) -> float:
    """Training only: the compiled trainer's ``advance`` over ``n_epochs`` epochs, after one compiling call."""
    import jax

    from ipflow_lib.datasets import tishby_12bit
    from ipflow_lib.ensembles import TrainingSpec, compile_trainer

    X, y = tishby_12bit()
    train, test = _masks(n_networks)
    spec = TrainingSpec(hidden_widths=WIDTHS, batch_size=512, n_networks=n_networks)
    trainer = compile_trainer(spec, (X.shape[1], *WIDTHS, 2), X.shape[0], int(train.sum(axis=1).max()))
    data = trainer.data(X.astype(np.float32), y.astype(np.int32), train, test)
    params, opt_state, keys = trainer.init(spec.seeds)
    jax.block_until_ready(trainer.advance(params, opt_state, keys, 0, 1, data))  # compile + 1 epoch
    t0 = time.perf_counter()
    jax.block_until_ready(trainer.advance(params, opt_state, keys, 0, n_epochs, data))
    return (time.perf_counter() - t0) / (n_networks * n_epochs) * 1e3


def torch_ms_per_net_epoch(n_networks=4, n_epochs=15) -> float:
    import torch

    from ipflow_lib.datasets import tishby_12bit

    X, y = tishby_12bit()
    train, _ = _masks(n_networks)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread is faster for networks this small: the baseline's best case
    t0 = time.perf_counter()
    for net in range(n_networks):
        torch.manual_seed(net)
        layers, sizes = [], (12, *WIDTHS)
        for a, b in zip(sizes[:-1], sizes[1:], strict=True):
            layers += [torch.nn.Linear(a, b), torch.nn.Tanh()]
        model = torch.nn.Sequential(*layers, torch.nn.Linear(sizes[-1], 2))
        opt = torch.optim.Adam(model.parameters(), lr=4e-4)
        idx = torch.tensor(np.flatnonzero(train[net]))
        gen = torch.Generator().manual_seed(net)
        for _ in range(n_epochs):
            perm = idx[torch.randperm(idx.numel(), generator=gen)]
            for batch in perm.split(512):
                opt.zero_grad()
                loss = torch.nn.functional.cross_entropy(model(Xt[batch]), yt[batch])
                loss.backward()
                opt.step()
    torch.set_num_threads(threads)
    return (time.perf_counter() - t0) / (n_networks * n_epochs) * 1e3


def naive_binned_mi(t, y, n_bins=30):
    """One network at a time: np.digitize, np.unique over rows, plug-in entropies."""
    edges = np.linspace(-1, 1, n_bins)
    out = []
    for layer in t:
        _, inv = np.unique(np.digitize(layer, edges), axis=0, return_inverse=True)
        inv = inv.ravel()
        p = np.bincount(inv) / inv.size
        h_t = -(p * np.log2(p)).sum()
        h_t_y = 0.0
        for c in np.unique(y):
            q = np.bincount(inv[y == c]) / (y == c).sum()
            q = q[q > 0]
            h_t_y += (y == c).mean() * -(q * np.log2(q)).sum()
        out.append((h_t, h_t - h_t_y))
    return np.array(out).T


def binning_ratio(repeats=3):
    from ipflow_lib.datasets import tishby_12bit
    from ipflow_lib.estimators import binned_mi

    _, y = tishby_12bit()
    rng = np.random.default_rng(0)
    layers = [np.tanh(rng.normal(scale=2.0, size=(50, 4096, w))).astype(np.float32) for w in (*WIDTHS, 2)]
    fast, slow = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        res_fast = [binned_mi(t, y) for t in layers]
        t1 = time.perf_counter()
        res_slow = [naive_binned_mi(t, y) for t in layers]
        t2 = time.perf_counter()
        fast.append(t1 - t0)
        slow.append(t2 - t1)
    for a, b in zip(res_fast, res_slow, strict=True):
        np.testing.assert_allclose(np.array(a), b, atol=1e-9)
    return float(np.median(fast)), float(np.median(slow))


def paper_preset():
    """The paper preset in a fresh process with an empty cache: wall time (s) and peak RSS (MB)."""
    code = (
        "import time, resource; t = time.perf_counter();"
        "from ipflow_lib.experiments import information_plane as ip;"
        "r = ip.run(ip.PRESETS['paper']);"
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,"
        " r.i_xt.shape)"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "IPFLOW_CACHE": cache, "IPFLOW_PROGRESS": "1"}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    wall, peak_mb, *shape = out.stdout.split(maxsplit=2)
    return float(wall), float(peak_mb), shape[0].strip()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paper", action="store_true", help="also run the paper preset end to end")
    args = parser.parse_args(argv)

    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}")
    jax_ms = jax_ms_per_net_epoch()
    torch_ms = torch_ms_per_net_epoch()
    print(f"training   JAX, 50 nets at once: {jax_ms:7.3f} ms per network-epoch")
    print(f"           PyTorch, one at a time: {torch_ms:7.3f} ms per network-epoch")
    print(f"           ratio: {torch_ms / jax_ms:6.1f}x  (aim >= 30x)")
    fast, slow = binning_ratio()
    print(f"binning    binned_mi, 6 layers x 50 nets x 4096 inputs: {fast * 1e3:7.1f} ms")
    print(f"           np.unique per network:                      {slow * 1e3:7.1f} ms")
    print(f"           ratio: {slow / fast:6.1f}x  (aim >= 10x)")
    if args.paper:
        wall, peak, shape = paper_preset()
        print(f"paper preset: {wall / 60:.1f} min wall, peak memory {peak:.0f} MB, i_xt shape {shape} "
              "(aim: < 10 min, < 2048 MB)")
    print(f"this process peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
