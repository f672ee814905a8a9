"""Pieces the checks share: drawn problems, gradient read-out, comparisons."""

import numpy as np
from hypothesis import strategies as st

from reference.assignment import spelled
from reference.finite_differences import STEP, directional_derivative, relative_error

from .registry import Examples, Failed

TOLERANCE = 1e-6  # norm-wise relative error allowed between a student's float64 numbers and the reference's
FD_TOLERANCE = 1e-5  # between the student's gradient and finite differences of their own float64 loss
ETA = 0.1


SCALES = (1.0, 0.1, 0.5, 2.0, 3.0)  # weight scales, in the order shrinking prefers them: few values shrink fast


# Tried first, before any drawn problem (D, I, T, weight scale, output layer's scale, seed): the smallest; a small one
# with D ≠ I; a long sequence with weights small enough for the error to travel back through all of it (where a
# truncated backward pass shows); a large output layer, whose cell errors reach about 9 (where clipping shows);
# large weights throughout.
FIRST_PROBLEMS = (
    (1, 1, 1, 1.0, 1.0, 0),
    (2, 3, 3, 1.0, 1.0, 1),
    (1, 2, 64, 0.3, 1.0, 2),
    (2, 3, 8, 0.5, 40.0, 5),
    (2, 2, 24, 4.0, 1.0, 4),
)
# The first problems short enough and with weights small enough for finite differences of a float32 loss, whose
# round-off grows along a long sequence at large weights (long sequences are compared with the reference elsewhere).
SHORT_FIRST_PROBLEMS = tuple(p for p in FIRST_PROBLEMS if p[2] <= 8 and p[3] <= 2.0)


def problems(max_size=6, max_length=12, max_scale=2.0, activations=(None,), first=FIRST_PROBLEMS):
    """Sizes (D = I reached as well as D ≠ I), a weight scale, a seed and (for a Gate) an activation: first the
    `first` problems for each activation, then drawn ones."""
    examples = [
        dict(D=D, I=I, T=T, scale=scale, output_scale=output_scale, seed=seed, activation=a)
        for D, I, T, scale, output_scale, seed in first
        for a in activations
    ]
    return Examples(examples, drawn_problems(max_size, max_length, max_scale, activations))


@st.composite
def drawn_problems(draw, max_size, max_length, max_scale, activations):
    D = draw(st.integers(1, max_size))
    I = draw(st.one_of(st.just(D), st.integers(1, max_size)))
    scales = [s for s in SCALES if s <= max_scale]
    return dict(
        D=D,
        I=I,
        T=draw(st.integers(1, max_length)),
        scale=draw(st.sampled_from(scales)),
        seed=draw(st.integers(0, 255)),
        activation=draw(st.sampled_from(activations)),
    )


def describe(problem):
    keys = [
        k
        for k in ("D", "I", "T", "scale", "output_scale", "activation")
        if problem.get(k) is not None and not (k == "output_scale" and problem[k] == 1.0)
    ]
    return ", ".join(f"{k}={problem[k]:.3g}" if isinstance(problem[k], float) else f"{k}={problem[k]}" for k in keys)


def tolerance(run, base=TOLERANCE):
    """The agreement asked of a run: `base` for float64 arithmetic, wider for code that computes in float32 (correct
    code, to its own precision): a thousand times the coarsest machine epsilon it answered in."""
    return max(base, 1e3 * run.precision)


def fd_step(precision):
    """The finite-difference step: the reference's, or 1e-2 for float32, whose round-off would swamp 1e-3."""
    return STEP if precision < 1e-10 else 1e-2


def close(student, expected, tolerance=TOLERANCE):
    """Whether the student's numbers agree with the expected ones within the tolerance (norm-wise relative error);
    NaN or Inf on either side never agrees."""
    return relative_error(np.asarray(student, dtype=float), np.asarray(expected, dtype=float)) <= tolerance


def student_gradients(run, params, names):
    """The student's gradients after a run (GateRun, LSTMRun, RTRLRun): their buffers where the adapter recognised
    them all, else read off the update, which moves θ by -η·∇θ whatever the buffers are called."""
    if all(n in run.grads for n in names):
        return {n: run.grads[n] for n in names}
    return {n: (params[n] - run.updated[n]) / ETA for n in names}


def moved_otherwise(params, first, second, names):
    """The names whose move from `params` differs between two sets of parameters reached from them (two updates of
    the student's code after the same run): the student's code against itself, so to 1e-9."""
    return [n for n in names if not close(second[n] - params[n], first[n] - params[n], 1e-9)]


def require_descent(what, params, run, reference_grads, names):
    """update(η) must move each parameter by -η times the gradient the student's buffers hold (or the reference's
    where no buffers were recognised), and again so after zero_grad and the same run: where the buffers are seen to
    be zeroed, a second move unlike the first is update's own state (momentum); else require_reset sees it."""
    for n in names:
        grad = run.grads.get(n, reference_grads[n])
        moved = run.updated[n] - params[n]
        if not close(moved, -ETA * grad, tolerance(run)):
            how = (
                "the parameters move along +η·∇, which is gradient ascent: subtract instead of adding"
                if close(moved, ETA * grad, tolerance(run))
                else "the step is applied twice (-2η·∇), for example in the gates and again in the network"
                if close(moved, -2 * ETA * grad, tolerance(run))
                else "expected θ ← θ - η·∇θ"
            )
            raise Failed(f"{what}.update({ETA}) changed {spelled(what, n)} wrongly: {how}.")
    if set(run.zeroed) == set(names) and not any(run.zeroed.values()):
        kept = moved_otherwise(params, run.updated, run.rezeroed, names)
        if kept:
            raise Failed(
                f"A second update, after zero_grad and the same gradient from the same weights, moved "
                f"{', '.join(spelled(what, n) for n in kept)} otherwise than the first: update must depend only on "
                f"the gradient buffers, with nothing kept from earlier calls (such as momentum)."
            )


def require_reset(what, params, run, names):
    """zero_grad on an object that holds gradients must leave it as a fresh zero_grad does: its buffers zero, read
    right after it where the adapter recognises them all, else seen in the next update, which must move every
    parameter as the first one did after the same run."""
    if set(run.zeroed) == set(names):
        kept = [n for n in names if run.zeroed[n] != 0]
    else:
        kept = moved_otherwise(params, run.updated, run.rezeroed, names)
    if kept:
        raise Failed(
            f"After zero_grad on a {what} that holds gradients, the gradient of "
            f"{', '.join(spelled(what, n) for n in kept)} is not zero: zero_grad must reset every buffer, "
            f"so that the next update uses only the new gradient (and update must keep nothing from earlier calls, "
            f"such as momentum)."
        )
    return "zero_grad resets every gradient buffer"


def mismatched(student, expected, run):
    """Names whose arrays differ from the expected ones beyond the run's tolerance. Float64 code is held to each
    array's own scale. Float32 code's round-off is measured against all the arrays together: a parameter whose
    gradient nearly cancels over the steps keeps float32's absolute error, but not its relative one."""
    missing = [n for n in expected if student.get(n) is None]
    present = [n for n in expected if n not in missing]
    if run.precision < 1e-10:
        return missing + [n for n in present if not close(student[n], expected[n])]
    every = [np.ravel(np.asarray(a, dtype=float)) for n in present for a in (student[n], expected[n])]
    scale = np.linalg.norm(np.concatenate(every)) if every else 0.0
    off = [
        n for n in present if not np.linalg.norm(np.asarray(student[n], float) - expected[n]) <= tolerance(run) * scale
    ]
    return missing + off


def require_close(what, student, expected, problem, diagnosis=None, tol=TOLERANCE):
    if not close(student, expected, tol):
        error = relative_error(np.asarray(student, dtype=float), np.asarray(expected, dtype=float))
        raise Failed(f"{what} differs from the reference by {error:.2g} (relative) on {describe(problem)}.", diagnosis)


def random_directions(rng, params, count, extra=None):
    """Unit-scale random directions over all parameters (and optionally over inputs) for directional FD."""
    shapes = {n: v.shape for n, v in params.items()} | (extra or {})
    return [{n: rng.normal(size=s) for n, s in shapes.items()} for _ in range(count)]


def require_finite_difference_agreement(module, directions, got, gradient, along, problem, step=STEP):
    """The student's gradient along each direction, Σ_n ⟨∇n, v_n⟩, against the central differences of their own
    loss along it (along.losses[d] holds the loss at the stencil's offsets of `step` along direction d). Either side
    computed in float32 (the gradient from `got`'s run, the losses) widens the tolerance to float32's."""
    analytic = np.array([sum(float(np.sum(gradient[n] * v[n])) for n in v) for v in directions])
    numeric = np.array([directional_derivative(row, step) for row in along.losses])
    if not close(analytic, numeric, max(FD_TOLERANCE, 1e4 * max(got.precision, along.precision))):
        raise Failed(
            f"{module}.backward disagrees with finite differences of your own {module}.forward on "
            f"{describe(problem)} (directional derivatives {np.round(analytic, 6)} vs {np.round(numeric, 6)})."
        )
