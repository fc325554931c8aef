"""Speed of the information-plane ``paper`` trainer on whatever device JAX sees (CPU, or a GPU with ipflow[gpu]).

    .venv/bin/python -m benchmarks.bench_device                  # 300 epochs, ~1 min on 2 CPU cores
    JAX_PLATFORMS=cuda .venv/bin/python -m benchmarks.bench_device --epochs 1000   # insist on the GPU

The ``paper`` preset's training spec of :mod:`ipflow_lib.experiments.information_plane` (50 networks
12-10-7-5-4-3-2, Adam, mini-batches of 512, 85 % training sets): the compiled trainer's ``advance`` over
``--epochs`` epochs after one compiling call, training only (no estimators), as in
``benchmarks/bench_information_plane.py``. Prints milliseconds per network-epoch and the device; when no
accelerator is visible it says so plainly.
"""

from __future__ import annotations

import argparse
import time


def ms_per_network_epoch(n_epochs: int) -> tuple[float, str]:
    """``(ms per network-epoch, device description)`` of the paper trainer over ``n_epochs`` epochs."""
    import jax
    import numpy as np

    from ipflow_lib.datasets import tishby_12bit, train_test_masks
    from ipflow_lib.ensembles import compile_trainer
    from ipflow_lib.experiments import information_plane as ip

    config = ip.PRESETS["paper"]
    spec = config.training
    X, y = tishby_12bit()
    train, test = train_test_masks(X.shape[0], config.train_fraction, spec.seeds)
    layer_sizes = (X.shape[1], *spec.hidden_widths, int(y.max()) + 1)
    trainer = compile_trainer(spec, layer_sizes, X.shape[0], int(train.sum(axis=1).max()))
    data = trainer.data(X.astype(np.float32), y.astype(np.int32), train, test)
    params, opt_state, keys = trainer.init(spec.seeds)
    jax.block_until_ready(trainer.advance(params, opt_state, keys, 0, 1, data))  # compile + 1 epoch
    tic = time.perf_counter()
    jax.block_until_ready(trainer.advance(params, opt_state, keys, 0, n_epochs, data))
    ms = (time.perf_counter() - tic) / (spec.n_networks * n_epochs) * 1e3
    device = jax.devices()[0]
    return ms, f"{device.platform} ({getattr(device, 'device_kind', '?')}, {jax.device_count()} device(s))"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=300, help="epochs timed (default 300)")
    args = parser.parse_args(argv)
    import jax

    platforms = sorted({d.platform for d in jax.devices()})
    if platforms == ["cpu"]:
        print("no GPU: JAX sees only CPU (install ipflow[gpu] on a CUDA 12 machine; JAX_PLATFORMS selects)")
    ms, device = ms_per_network_epoch(args.epochs)
    print(f"information-plane paper trainer (50 networks 12-10-7-5-4-3-2, Adam, batch 512), {args.epochs} epochs")
    print(f"  device: {device}")
    print(f"  {ms:.4f} ms per network-epoch  ({ms * 50:.2f} ms per epoch of the 50 networks)")


if __name__ == "__main__":
    main()
