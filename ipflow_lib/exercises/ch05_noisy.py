"""Self-check exercises of section 5.2 (noisy networks, Goldfeld et al. 2019).

``check("5.noisy_saturated", answer)``: I(X;T) in bits of the single noisy tanh neuron T = tanh(wX + b) + Z with
X uniform on :data:`NEURON_INPUTS`, b = −2w, a large weight :data:`NEURON_WEIGHT` and noise β = :data:`NEURON_BETA`,
where tanh has saturated: the inputs below 2 sit at −1, those above at +1.

The expected value is computed here by the library's quadrature
(:func:`ipflow_lib.experiments.noisy_networks.single_neuron_information`), never typed in.
"""

from __future__ import annotations

import math

from ..experiments.noisy_networks import single_neuron_information
from . import Feedback, as_number, checker, close_to, not_a_number

__all__ = ["NEURON_BETA", "NEURON_INPUTS", "NEURON_WEIGHT", "check_noisy_saturated", "saturated_information"]

#: The exercise's neuron: inputs (X uniform on them), weight w (bias −2w) and noise standard deviation β.
NEURON_INPUTS = (-3.0, -1.0, 1.0, 3.0)
NEURON_WEIGHT = 20.0
NEURON_BETA = 0.05


def saturated_information(base: float = 2.0) -> float:
    """I(X;T) of the exercise's neuron, in units of log ``base``, by quadrature."""
    bits = float(single_neuron_information([NEURON_WEIGHT], NEURON_INPUTS, NEURON_BETA, -2.0 * NEURON_WEIGHT)[0])
    return bits * math.log(2) / math.log(base)


@checker("5.noisy_saturated")
def check_noisy_saturated(answer) -> Feedback:
    """I(X;T) in bits of the saturated neuron of :data:`NEURON_INPUTS`, w = :data:`NEURON_WEIGHT`, b = −2w."""
    expected = saturated_information()
    value = as_number(answer)
    if value is None:
        return not_a_number("5.noisy_saturated", answer, "bits", expected)
    below = sum(x < 2 for x in NEURON_INPUTS)
    n = len(NEURON_INPUTS)
    why = (f"tanh(w(x − 2)) is −1 for the {below} inputs below 2 and +1 for the other {n - below}, two points 2 apart "
           f"while β = {NEURON_BETA:g}: T tells the two clusters apart perfectly and nothing within them, so I(X;T) = "
           f"H({below}/{n}, {n - below}/{n}) = {expected:.4f} bits. The noise has made saturation lose information: "
           f"the {below} inputs of one cluster merged.")
    if close_to(value, expected, rel=5e-3, abs_tol=5e-3):
        return Feedback("5.noisy_saturated", True, why, expected)
    if close_to(value, saturated_information(math.e), rel=5e-3, abs_tol=5e-3):
        hint = f"{value:.4f} is the answer in nats (natural logarithm); divide by ln 2 for bits."
    elif close_to(value, math.log2(n), abs_tol=5e-3):
        hint = (f"{value:g} bits = log2 {n} would hold if the four outputs were further apart than β; saturated, "
                "three of them coincide.")
    elif close_to(value, 1.0, abs_tol=5e-3):
        hint = "1 bit is the information of two *equally likely* clusters; these two clusters are not equally likely."
    else:
        hint = f"{value:.4g} bits is not I(X;T) of this neuron."
    return Feedback("5.noisy_saturated", False, f"{hint} {why}", expected)
