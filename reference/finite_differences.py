"""Central finite differences: the reference is verified with them, and the grader checks students with them."""

import numpy as np

STEP = 1e-3
# Fourth-order central stencil: f'(w) ≈ Σ c·f(w + k·STEP) / STEP. Its truncation error (~STEP⁴) and round-off
# (~1e-16·|f|/STEP) both stay near 1e-13, so even gradients of 1e-5 beside a loss of 0.7 are resolved to 1e-7.
STENCIL = ((-2, 1 / 12), (-1, -8 / 12), (1, 8 / 12), (2, -1 / 12))


def numeric_gradient(loss, array):
    """d loss() / d array by central differences, perturbing `array` in place (and restoring it)."""
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        saved = array[index]
        total = 0.0
        for k, weight in STENCIL:
            array[index] = saved + k * STEP
            total += weight * loss()
        array[index] = saved
        grad[index] = total / STEP
    return grad


def relative_error(analytic, numeric):
    """Norm-wise relative error, which stays meaningful where single entries are near zero."""
    scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return 0.0 if scale < 1e-12 else float(np.linalg.norm(analytic - numeric) / scale)


def directional_derivative(losses, step=STEP):
    """From losses at offsets k·step along one direction (k as in STENCIL), the derivative along it."""
    return sum(weight * loss for (_, weight), loss in zip(STENCIL, losses)) / step


def offsets(step=STEP):
    """Where the stencil evaluates a loss along a direction."""
    return tuple(k * step for k, _ in STENCIL)


OFFSETS = offsets()
