"""Exercises 2 and 4: the Gate's initialisation, forward, backward, zero_grad and update."""

import numpy as np
from scipy import stats

from reference.assignment import GATE_PARAMETERS, spelled
from reference.finite_differences import offsets

from .. import expected
from ..diagnose import gate_forward_variants, gate_variants, likely_cause, matching
from .common import (
    ETA,
    close,
    describe,
    fd_step,
    mismatched,
    problems,
    random_directions,
    relative_error,
    require_close,
    require_descent,
    require_finite_difference_agreement,
    require_reset,
    student_gradients,
    tolerance,
)
from .registry import Failed, check, for_all

GATE = GATE_PARAMETERS


def scenario(ctx, problem, beside=False):
    """The student's and the reference's Gate on the same weights and inputs: T forward calls (3 where the problem
    has no T), then T backward calls in reverse, with upstream gradients of the problem's upstream_scale."""
    rng = np.random.default_rng(problem["seed"])
    D, I, steps = problem["D"], problem["I"], problem.get("T", 3)
    params = expected.random_params(rng, D, I, 1, problem["scale"], GATE)
    xs, hs, ups = rng.normal(size=(steps, D)), rng.normal(size=(steps, I)), rng.normal(size=(steps, I))
    ups *= problem.get("upstream_scale", 1.0)
    args = dict(D=D, I=I, activation=problem["activation"], params=params, xs=xs, hs=hs, upstream=ups)
    return params, args, ctx.student.gate_run(eta=ETA, beside=beside, **args), expected.gate(**args)


@check("gate.shapes", 2, 2, "Gate", "W is I×D, R is I×I and b has I entries, for D ≠ I and D = I")
def shapes(ctx):
    for D, I in ((2, 3), (3, 2), (4, 4)):
        got = {n: v.shape for n, v in ctx.student.fresh_params("Gate", D, I).draws[0].items()}
        if got != {"W": (I, D), "R": (I, I), "b": (I,)}:
            raise Failed(f"Gate({D}, {I}, ...) has parameter shapes {got}; expected W {I}×{D}, R {I}×{I}, b ({I},).")
    return "W, R and b have the right shapes"


INIT_DRAWS = 40  # constructions pooled per parameter group, so that even b_y (one number each) makes a sample


def check_uniform_init(draws, what):
    """Every parameter group, pooled over several constructions, must lie in [-0.01, 0.01] and look uniform there:
    a group drawn from [0, 0.01], a normal or a constant fails on its own, whatever the others do."""
    for name in draws[0]:
        values = np.concatenate([draw[name].ravel() for draw in draws])
        group = f"{what}'s {spelled(what, name)}"
        if not np.all(np.abs(values) <= 0.01):
            raise Failed(
                f"{group} has initial values up to {np.nanmax(np.abs(values)):.3g}; they should lie in [-0.01, 0.01]."
            )
        p = stats.kstest(values, stats.uniform(loc=-0.01, scale=0.02).cdf).pvalue
        if p < 1e-6:
            raise Failed(
                f"{group}'s initial values are not spread uniformly over [-0.01, 0.01] (mean "
                f"{values.mean():.2g}, std {values.std():.2g}; uniform has std 0.0058; KS test p = {p:.1g})."
            )
    return "every parameter group uniform in [-0.01, 0.01]"


def require_buffers_from_construction(fresh, what):
    """Backward works on a new object as the constructor left it, and accumulates from zero there (the template calls
    zero_grad in __init__; buffers made lazily in backward are right too). A backward that fails after zero_grad as
    well is the backward checks' business."""
    if isinstance(fresh.after_zero_grad, str):
        return
    if isinstance(fresh.new_object, str):
        raise Failed(
            f"Backward on a new {what}, before any call of zero_grad, fails ({fresh.new_object}); it works after "
            "zero_grad. Create the gradient buffers in __init__ (for instance by calling self.zero_grad() there)."
        )
    differ = [n for n, g in fresh.after_zero_grad.items() if not np.allclose(fresh.new_object.get(n, g), g)]
    if differ:
        names = ", ".join(spelled(what, n) for n in differ)
        raise Failed(
            f"On a new {what} the gradient buffers for {names} do not start at zero: the first backward adds to "
            "what the constructor left there. Set them to zeros in __init__ (for instance by calling self.zero_grad())."
        )


@check(
    "gate.init",
    2,
    3,
    "Gate",
    "every initial parameter group is uniform in [-0.01, 0.01] (range and KS test); the constructor makes the "
    "gradient buffers",
)
def init(ctx):
    fresh = ctx.student.fresh_params("Gate", 16, 32, count=INIT_DRAWS)
    require_buffers_from_construction(fresh, "Gate")
    return check_uniform_init(fresh.draws, "Gate")


@check("gate.forward", 2, 3, "Gate", "forward returns φ(W x + R h + b) for tanh and the sigmoid, any sizes and scales")
@for_all(problems(max_scale=3.0, activations=("tanh", "sigmoid")), max_examples=12)
def forward(ctx, problem):
    _, args, got, want = scenario(ctx, problem)

    def cause():
        return likely_cause(matching(gate_forward_variants(problem["activation"]), got.a, "a", args))

    require_close("Gate.forward", got.a, want["a"], problem, cause, tolerance(got))


@check("gate.activation", 2, 2, "Gate", "the activation is exchangeable: one the student never saw (softsign) works")
@for_all(problems(activations=("softsign",)), max_examples=5)
def activation(ctx, problem):
    _, _, got, want = scenario(ctx, problem)
    advice = " Use the activation passed to the constructor rather than a fixed one."
    require_close(
        "Gate.forward with the softsign activation", got.a, want["a"], problem, lambda: advice, tolerance(got)
    )


@check("gate.backward_inputs", 4, 4, "Gate", "backward returns ∇x = Wᵀδ and ∇h = Rᵀδ with δ = ∇a ⊙ φ'(s)")
@for_all(problems(max_scale=3.0, activations=("tanh", "sigmoid", "softsign")), max_examples=12)
def backward_inputs(ctx, problem):
    _, args, got, want = scenario(ctx, problem)
    for key in ("grad_x", "grad_h"):
        require_close(
            f"The ∇{key[-1]} returned by Gate.backward",
            getattr(got, key),
            want[key],
            problem,
            lambda key=key: likely_cause(matching(gate_variants(problem["activation"]), getattr(got, key), key, args)),
            tolerance(got),
        )


@check(
    "gate.backward_params",
    4,
    5,
    "Gate",
    "backward accumulates ∇W, ∇R, ∇b over several calls, as the reference, also with another gate used in turn",
)
def backward_params(ctx):
    held = drawn_backward_params(ctx)
    problem = dict(D=2, I=3, T=4, scale=1.0, seed=7, activation="tanh")
    params, _, got, want = scenario(ctx, problem, beside=True)
    grads = student_gradients(got, params, GATE)
    if not close(got.grad_x, want["grad_x"], tolerance(got)) or mismatched(grads, want["grads"], got):
        raise Failed(
            "With a second Gate used in turn with the first (forward on one, then the other, as an LSTM does with "
            "its gates), backward gives other gradients than the first gate alone: each gate must keep its own "
            "record of its forward calls (an attribute set in __init__, not a list shared by the class)."
        )
    return f"{held}, and beside another gate"


@for_all(problems(max_scale=3.0, activations=("tanh", "sigmoid", "softsign")), max_examples=12)
def drawn_backward_params(ctx, problem):
    params, args, got, want = scenario(ctx, problem)
    grads = student_gradients(got, params, GATE)
    wrong = mismatched(grads, want["grads"], got)
    if wrong:
        worst = max(relative_error(grads[n], want["grads"][n]) for n in wrong)
        raise Failed(
            f"The accumulated gradient of {', '.join(wrong)} differs from the reference (relative error "
            f"{worst:.2g}) after {problem['T']} forward and {problem['T']} backward calls on {describe(problem)}.",
            lambda: likely_cause(matching(gate_variants(problem["activation"]), grads, "grads", args)),
        )


@check("gate.finite_differences", 4, 2, "Gate", "backward agrees with finite differences of the student's own forward")
@for_all(problems(max_size=4, activations=("tanh", "sigmoid")), max_examples=5)
def finite_differences(ctx, problem):
    params, args, got, _ = scenario(ctx, problem)
    rng = np.random.default_rng(problem["seed"] + 1)
    steps = args["xs"].shape[0]
    directions = random_directions(rng, params, 3, {"x": (steps, problem["D"]), "h": (steps, problem["I"])})
    step = fd_step(got.precision)
    along = ctx.student.gate_losses(directions=directions, offsets=offsets(step), **args)
    gradient = student_gradients(got, params, GATE) | {"x": got.grad_x, "h": got.grad_h}
    require_finite_difference_agreement("Gate", directions, got, gradient, along, problem, step)


@check("gate.zero_grad", 4, 2, "Gate", "zero_grad resets every gradient buffer of a gate that holds gradients")
def zero_grad(ctx):
    params, _, got, _ = scenario(ctx, dict(D=2, I=3, scale=1.0, seed=5, activation="tanh"))
    return require_reset("Gate", params, got, GATE)


@check("gate.update", 4, 2, "Gate", "update(η) moves every parameter by -η times its gradient")
def update(ctx):
    problem = dict(D=2, I=3, scale=1.0, seed=6, activation="tanh", upstream_scale=100.0)  # where clipping would bite
    params, _, got, want = scenario(ctx, problem)
    require_descent("Gate", params, got, want["grads"], GATE)
    return "update descends"
