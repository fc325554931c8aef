"""The information plane of any PyTorch model, through forward hooks.

Point a probe at your own ``nn.Module``, name the layers to watch, and call it once per epoch from
your training loop; at the epochs you chose it runs the model on a fixed set of inputs, records the
named layers with forward hooks, and streams every layer to any estimator of
:mod:`ipflow_lib.estimators` (or your own ``est(t, y) -> (i_xt, i_ty)``). Only the estimates are
kept, unless you ask for the activations too.

>>> import torch
>>> from torch import nn
>>> from ipflow_lib.probes import InformationProbe, default_layers
>>> torch.manual_seed(0)  # doctest: +ELLIPSIS
<torch._C.Generator object at ...>
>>> model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3), nn.Tanh(), nn.Linear(3, 2))
>>> default_layers(model)                      # every activation module, then the output
['1', '3', '4']
>>> x, y = torch.randn(64, 4), torch.randint(0, 2, (64,))
>>> probe = InformationProbe(model, x, y, epochs=[0, 5])
>>> for epoch in range(10):
...     _ = probe(epoch)                       # records at epochs 0 and 5 only
...     # ... one epoch of your training here ...
>>> result = probe.result()
>>> result.i_xt("binning").shape               # (n_epochs, n_layers), bits
(2, 3)

Functions
---------
``default_layers``     names of the activation modules of a model, and its last module
``ActivationRecorder`` context manager: forward hooks that keep the outputs of named modules
``record_activations`` all inputs through the model in evaluation mode, returned as numpy arrays
``InformationProbe``   record at chosen epochs and stream each layer to estimators
``inject_noise``       context manager: add Gaussian noise to named layers (a noisy network, as in
                       Goldfeld et al. 2019), propagated to the layers after them
``make_mlp``           a plain torch MLP (Linear + activation per hidden layer, Linear logits) to probe
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

__all__ = [
    "ACTIVATION_TYPES",
    "ActivationRecorder",
    "InformationProbe",
    "ProbeResult",
    "default_layers",
    "inject_noise",
    "make_mlp",
    "record_activations",
]

#: Class names of the modules :func:`default_layers` treats as a layer's non-linearity.
ACTIVATION_TYPES = (
    "Tanh", "ReLU", "Sigmoid", "ELU", "GELU", "SELU", "SiLU", "LeakyReLU", "Softplus", "Hardtanh",
    "ReLU6", "Mish", "Softmax", "LogSoftmax",
)


def _torch():
    import torch

    return torch


def make_mlp(n_in: int, hidden_widths: Sequence[int], n_out: int, activation: str = "tanh"):
    """A torch MLP ``nn.Sequential``: ``Linear`` + activation per hidden layer, then a ``Linear`` output (logits).

    Parameters
    ----------
    n_in, n_out : int ≥ 1 -- input dimension and number of output units (classes)
    hidden_widths : sequence of int ≥ 1 -- widths of the hidden layers, e.g. (32, 16, 8) for chapter 5's
        64-32-16-8-10 digits network
    activation : "tanh" | "relu"

    Returns
    -------
    ``torch.nn.Sequential`` of ``2 * len(hidden_widths) + 1`` modules, with torch's default initialisation
    (seed it with ``torch.manual_seed``). :func:`default_layers` finds its activation modules and the output.

    Raises
    ------
    ValueError
        On a width < 1 or an unknown activation.
    """
    from torch import nn

    acts = {"tanh": nn.Tanh, "relu": nn.ReLU}
    if activation not in acts:
        raise ValueError(f"activation must be one of {sorted(acts)}, got {activation!r}")
    widths = [int(w) for w in hidden_widths]
    if min([int(n_in), int(n_out), *widths]) < 1:
        raise ValueError(f"n_in, hidden_widths and n_out must be ≥ 1, got {n_in}, {tuple(widths)}, {n_out}")
    layers, width = [], int(n_in)
    for w in widths:
        layers += [nn.Linear(width, w), acts[activation]()]
        width = w
    layers.append(nn.Linear(width, int(n_out)))
    return nn.Sequential(*layers)


def _modules_by_name(model) -> dict:
    return dict(model.named_modules())


def default_layers(model) -> list[str]:
    """Names of the modules whose outputs form the layers of an MLP-like model.

    Every module whose class is one of :data:`ACTIVATION_TYPES` (the output of a hidden layer),
    then the last leaf module (the output layer) if it is not one already.

    Raises
    ------
    TypeError
        If ``model`` is not an ``nn.Module``.
    ValueError
        If the model has no leaf modules.
    """
    torch = _torch()
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    leaves = [name for name, m in model.named_modules() if name and not any(True for _ in m.children())]
    if not leaves:
        raise ValueError("the model has no sub-modules to record; name the layers explicitly")
    mods = _modules_by_name(model)
    names = [name for name in leaves if type(mods[name]).__name__ in ACTIVATION_TYPES]
    if leaves[-1] not in names:
        names.append(leaves[-1])
    return names


def _resolve(model, layers) -> list[str]:
    mods = _modules_by_name(model)
    if layers is None:
        return default_layers(model)
    if isinstance(layers, str):
        layers = [layers]
    names = []
    by_id = {id(m): name for name, m in mods.items()}
    for layer in layers:
        if isinstance(layer, str):
            if layer not in mods:
                known = ", ".join(repr(n) for n in list(mods)[1:12])
                raise ValueError(f"the model has no module named {layer!r}; its modules include {known}")
            names.append(layer)
        elif id(layer) in by_id:
            names.append(by_id[id(layer)])
        else:
            raise ValueError(f"layer {layer!r} is neither a module name nor a sub-module of the model")
    if len(set(names)) != len(names):
        raise ValueError(f"layers must be distinct, got {names}")
    if not names:
        raise ValueError("layers is empty")
    return names


class ActivationRecorder:
    """Forward hooks that keep the output of named sub-modules of ``model`` (a context manager).

    Parameters
    ----------
    model : torch.nn.Module
    layers : sequence of str or nn.Module, optional
        The modules to record (names from ``model.named_modules()``); default :func:`default_layers`.
    transforms : dict name -> callable, optional
        Applied to a layer's output before it is kept (e.g. ``torch.softmax`` for a logits layer).

    Attributes
    ----------
    layer_names : list of str
    outputs : dict name -> list of tensors
        The detached outputs (flattened to (batch, units)) of every forward pass since entering.

    Raises
    ------
    ValueError
        Unknown or repeated layer names.
    """

    def __init__(self, model, layers=None, transforms: Mapping[str, Callable] | None = None):
        torch = _torch()
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        self.model = model
        self.layer_names = _resolve(model, layers)
        self.transforms = dict(transforms or {})
        unknown = set(self.transforms) - set(self.layer_names)
        if unknown:
            raise ValueError(f"transforms name layers that are not recorded: {sorted(unknown)}")
        self.outputs: dict[str, list] = {name: [] for name in self.layer_names}
        self._handles: list = []

    def _hook(self, name: str):
        transform = self.transforms.get(name)

        def hook(module, inputs, output):
            if isinstance(output, tuple | list):
                output = output[0]
            out = output.detach()
            if transform is not None:
                out = transform(out)
            self.outputs[name].append(out.reshape(out.shape[0], -1))

        return hook

    def __enter__(self) -> ActivationRecorder:
        mods = _modules_by_name(self.model)
        self.outputs = {name: [] for name in self.layer_names}
        self._handles = [mods[name].register_forward_hook(self._hook(name)) for name in self.layer_names]
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def numpy(self) -> dict[str, np.ndarray]:
        """The recorded outputs, batches concatenated: name -> float32 array (n_samples, n_units)."""
        torch = _torch()
        return {
            name: torch.cat(parts).to(torch.float32).cpu().numpy() if parts else np.zeros((0, 0), np.float32)
            for name, parts in self.outputs.items()
        }


def record_activations(
    model,
    inputs,
    layers=None,
    *,
    transforms: Mapping[str, Callable] | None = None,
    batch_size: int | None = None,
) -> dict[str, np.ndarray]:
    """Run ``inputs`` through ``model`` (evaluation mode, no gradients) and return the named layers.

    The model's training/evaluation mode is restored afterwards.

    Parameters
    ----------
    model : torch.nn.Module
    inputs : tensor or array, shape (n_samples, ...)
    layers, transforms : as :class:`ActivationRecorder`
    batch_size : int, optional
        Forward passes of this many inputs at a time (default: all at once).

    Returns
    -------
    dict name -> ndarray, float32, shape (n_samples, n_units)
        In the order of the layers.
    """
    torch = _torch()
    x = inputs if isinstance(inputs, torch.Tensor) else torch.as_tensor(np.asarray(inputs))
    if x.ndim < 1 or x.shape[0] == 0:
        raise ValueError(f"inputs must have shape (n_samples, ...) with n_samples ≥ 1, got {tuple(x.shape)}")
    if x.is_floating_point() and not torch.isfinite(x).all():
        raise ValueError("inputs contain NaN/inf")
    try:
        param = next(model.parameters())
        x = x.to(device=param.device, dtype=param.dtype if x.is_floating_point() else x.dtype)
    except StopIteration:
        pass
    step = x.shape[0] if batch_size is None else int(batch_size)
    if step < 1:
        raise ValueError(f"batch_size must be ≥ 1, got {batch_size}")
    was_training = model.training
    model.eval()
    try:
        with ActivationRecorder(model, layers, transforms) as rec, torch.no_grad():
            for start in range(0, x.shape[0], step):
                model(x[start : start + step])
    finally:
        model.train(was_training)
    return rec.numpy()


@dataclasses.dataclass
class ProbeResult:
    """What an :class:`InformationProbe` measured.

    Attributes
    ----------
    epochs : ndarray of int, shape (n_epochs,)
        Epochs at which the probe recorded.
    layer_names : tuple of str
    layer_widths : tuple of int
    estimates : dict estimator name -> dict with "epochs" (n_epochs_e,), "i_xt" and "i_ty"
        (n_epochs_e, n_layers), in the estimator's units (bits for ipflow_lib's estimators).
    activations : dict epoch -> dict layer -> ndarray (n_samples, n_units), if kept
    """

    epochs: np.ndarray
    layer_names: tuple[str, ...]
    layer_widths: tuple[int, ...]
    estimates: dict[str, dict[str, np.ndarray]]
    activations: dict[int, dict[str, np.ndarray]]

    def i_xt(self, estimator: str) -> np.ndarray:
        """I(X;T) of ``estimator``, shape (n_epochs, n_layers)."""
        return self.estimates[estimator]["i_xt"]

    def i_ty(self, estimator: str) -> np.ndarray:
        """I(T;Y) of ``estimator``, shape (n_epochs, n_layers)."""
        return self.estimates[estimator]["i_ty"]


class InformationProbe:
    """Information-plane coordinates of a PyTorch model's layers, recorded at chosen epochs.

    Call the probe once per epoch (``probe(epoch)``) from your own training loop. At the epochs in
    ``epochs`` it records the layers on ``inputs`` (evaluation mode, no gradients, forward hooks) and
    calls every estimator on every layer with ``t`` of shape (n_samples, n_units) and ``labels``.

    Parameters
    ----------
    model : torch.nn.Module
    inputs : tensor or array, shape (n_samples, ...)
        The inputs X over which information is measured (X uniform over them).
    labels : tensor or array of int, shape (n_samples,)
    layers : sequence of str or nn.Module, optional
        Default :func:`default_layers` (every activation module, then the output module).
    estimators : dict name -> ``est(t, y) -> (i_xt, i_ty)``, optional
        Default ``{"binning": binned_mi_max_abs}`` (30 bins over each layer's own range).
    epochs : iterable of int, optional
        Epochs to record (default: every call).
    estimator_epochs : dict name -> iterable of int, optional
        A subset of ``epochs`` at which an (expensive) estimator runs; default all of ``epochs``.
    transforms : dict name -> callable, optional
        Applied to a layer's output before estimation (e.g. softmax on a logits layer).
    batch_size : int, optional
        Forward passes in batches of this size.
    keep_activations : bool
        Also keep the activations of every recorded epoch (memory: n_samples × Σ widths floats each).

    Raises
    ------
    ValueError
        Mismatched inputs and labels, unknown layers, estimator_epochs outside epochs.
    """

    def __init__(
        self,
        model,
        inputs,
        labels,
        *,
        layers=None,
        estimators: Mapping[str, Callable] | None = None,
        epochs: Iterable[int] | None = None,
        estimator_epochs: Mapping[str, Iterable[int]] | None = None,
        transforms: Mapping[str, Callable] | None = None,
        batch_size: int | None = None,
        keep_activations: bool = False,
    ):
        from .estimators import binned_mi_max_abs

        self.model = model
        self.layer_names = tuple(_resolve(model, layers))
        self.inputs = inputs
        y = labels.detach().cpu().numpy() if hasattr(labels, "detach") else np.asarray(labels)
        if y.ndim != 1 or y.shape[0] != len(inputs):
            raise ValueError(f"labels must have shape (n_samples,) = ({len(inputs)},), got {y.shape}")
        if not np.issubdtype(y.dtype, np.integer):
            raise TypeError(f"labels must be integer class labels, got dtype {y.dtype}")
        self.labels = y.astype(np.int64)
        self.estimators = dict(estimators) if estimators is not None else {"binning": binned_mi_max_abs}
        if not self.estimators:
            raise ValueError("estimators is empty")
        self.epochs = None if epochs is None else {int(e) for e in epochs}
        self.estimator_epochs = {}
        for name, eps in (estimator_epochs or {}).items():
            if name not in self.estimators:
                raise ValueError(f"estimator_epochs names {name!r}, not one of {sorted(self.estimators)}")
            eps = {int(e) for e in eps}
            if self.epochs is not None and not eps <= self.epochs:
                raise ValueError(f"estimator_epochs[{name!r}] must be a subset of epochs")
            self.estimator_epochs[name] = eps
        self.transforms = dict(transforms or {})
        self.batch_size = batch_size
        self.keep_activations = keep_activations
        self._epochs: list[int] = []
        self._est: dict[str, dict[str, list]] = {n: {"epochs": [], "i_xt": [], "i_ty": []} for n in self.estimators}
        self._acts: dict[int, dict[str, np.ndarray]] = {}
        self._widths: tuple[int, ...] | None = None

    def wants(self, epoch: int) -> bool:
        """Whether the probe records at ``epoch``."""
        return self.epochs is None or int(epoch) in self.epochs

    def __call__(self, epoch: int) -> bool:
        """Record and estimate at ``epoch`` if it is one of the probe's epochs; returns whether it did."""
        epoch = int(epoch)
        if not self.wants(epoch) or epoch in self._epochs:
            return False
        acts = record_activations(
            self.model, self.inputs, self.layer_names, transforms=self.transforms, batch_size=self.batch_size
        )
        layers = [acts[name] for name in self.layer_names]
        self._widths = tuple(a.shape[1] for a in layers)
        for name, est in self.estimators.items():
            if name in self.estimator_epochs and epoch not in self.estimator_epochs[name]:
                continue
            values = [est(t, self.labels) for t in layers]
            store = self._est[name]
            store["epochs"].append(epoch)
            store["i_xt"].append([float(np.asarray(v[0])) for v in values])
            store["i_ty"].append([float(np.asarray(v[1])) for v in values])
        self._epochs.append(epoch)
        if self.keep_activations:
            self._acts[epoch] = acts
        return True

    def result(self) -> ProbeResult:
        """Everything recorded so far."""
        n_layers = len(self.layer_names)
        est = {
            name: {
                "epochs": np.asarray(s["epochs"], dtype=np.int64),
                "i_xt": np.asarray(s["i_xt"], dtype=np.float64).reshape(-1, n_layers),
                "i_ty": np.asarray(s["i_ty"], dtype=np.float64).reshape(-1, n_layers),
            }
            for name, s in self._est.items()
        }
        return ProbeResult(
            epochs=np.asarray(self._epochs, dtype=np.int64),
            layer_names=self.layer_names,
            layer_widths=self._widths or (),
            estimates=est,
            activations=dict(self._acts),
        )


@contextlib.contextmanager
def inject_noise(model, layers: Sequence[str] | None = None, std: float = 0.1, *, generator=None):
    """Add N(0, std²) noise to the outputs of named layers while the context is open.

    The noise is added inside the forward pass, so it propagates to every later layer: the noisy
    deep network of Goldfeld et al. (2019, Sec. 2), whose I(X;T) is finite and meaningful.

    Parameters
    ----------
    model : torch.nn.Module
    layers : sequence of str, optional
        Default :func:`default_layers` without the output layer.
    std : float
        Standard deviation of the noise, > 0.
    generator : torch.Generator, optional
        Source of the noise (seed it for reproducible draws).
    """
    torch = _torch()
    if not std > 0:
        raise ValueError(f"std must be > 0, got {std}")
    names = _resolve(model, layers) if layers is not None else default_layers(model)[:-1] or default_layers(model)
    mods = _modules_by_name(model)

    def hook(module, inputs, output):
        noise = torch.randn(output.shape, generator=generator, dtype=output.dtype, device=output.device)
        return output + std * noise

    handles = [mods[name].register_forward_hook(hook) for name in names]
    try:
        yield names
    finally:
        for handle in handles:
            handle.remove()
