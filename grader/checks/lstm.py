"""Exercises 5 and 6: the LSTM's initialisation, loss, state reset, BPTT gradient and update."""

import functools

import numpy as np

from reference.assignment import NETWORK_PARAMETERS, shape, spelled
from reference.finite_differences import offsets

from .. import expected
from ..diagnose import likely_cause, matching, network_variants
from ..errors import StudentCodeError
from . import common
from .common import (
    ETA,
    close,
    describe,
    mismatched,
    moved_otherwise,
    problems,
    require_close,
    require_descent,
    require_reset,
    student_gradients,
    tolerance,
)
from .gate import INIT_DRAWS, check_uniform_init, require_buffers_from_construction
from .registry import Failed, check, for_all


def sequences(rng, count, T, D):
    return rng.normal(size=(count, T, D)), rng.integers(0, 2, size=(count, 1)).astype(float)


def scenario(ctx, problem, class_name="LSTM", count=2):
    """The student's and the reference's network on the same weights and sequences."""
    rng = np.random.default_rng(problem["seed"])
    D, I, T = problem["D"], problem["I"], problem["T"]
    params = expected.random_params(rng, D, I, 1, problem["scale"], NETWORK_PARAMETERS, problem.get("output_scale", 1))
    xs, ys = sequences(rng, count, T, D)
    bptt = class_name == "LSTM"
    got = ctx.student.network_run("LSTM" if bptt else "LSTM_RTRL", D=D, I=I, K=1, params=params, xs=xs, ys=ys, eta=ETA)
    return params, xs, ys, got, expected.lstm(params, xs, ys, "bptt" if bptt else "rtrl")


def check_network_init(ctx, class_name, D=3, I=5):
    """The body of lstm.init and rtrl.init: a fresh network's parameters have the interface's shapes (with one
    output and with two) and are uniform in [-0.01, 0.01]."""
    fresh = ctx.student.fresh_params(class_name, D, I, count=INIT_DRAWS)
    require_buffers_from_construction(fresh, class_name)
    try:
        two_outputs = ctx.student.fresh_params(class_name, D, I, K=2).draws[0]
    except StudentCodeError as error:
        raise Failed(
            f"{class_name}({D}, {I}, 2) could not be used ({error.evalue}): output_size sets K, the rows of W_y "
            f"and b_y."
        ) from None
    for K, draw in ((1, fresh.draws[0]), (2, two_outputs)):
        shapes = {n: v.shape for n, v in draw.items()}
        want = {n: shape(n, D, I, K) for n in NETWORK_PARAMETERS}
        if shapes != want:
            spell = {n: spelled(class_name, n) for n in want}
            raise Failed(
                f"{class_name}({D}, {I}, {K}) has parameter shapes "
                f"{ ({spell.get(n, n): s for n, s in shapes.items()}) }; expected "
                f"{ ({spell[n]: s for n, s in want.items()}) } (output_size sets K, the rows of W_y and b_y)."
            )
    return check_uniform_init(fresh.draws, class_name)


@check(
    "lstm.init",
    5,
    3,
    "LSTM",
    "three gates and an output layer of the right shapes, uniform in [-0.01, 0.01], gradient buffers made",
)
def init(ctx):
    return check_network_init(ctx, "LSTM")


@check("lstm.loss", 5, 10, "LSTM", "forward returns the reference's BCE at step T on the same weights, T up to 64")
@for_all(problems(), max_examples=12)
def loss(ctx, problem):
    params, xs, ys, got, want = scenario(ctx, problem)

    def cause():
        return likely_cause(matching(network_variants("bptt"), got.losses, "losses", params, xs, ys))

    require_close("The loss returned by LSTM.forward", got.losses, want["losses"], problem, cause, tolerance(got))


def require_independent_sequences(ctx, class_name, seed, advice):
    """A sequence run after others must give what it gives alone: the same loss (LSTM), or the same outputs and,
    with zero_grad between them, the same update (LSTM_RTRL, whose sensitivities show only in the gradient). The
    sequences before it are longer (state kept in buffers sized by an earlier sequence shows), and the one just
    before is only run forward, an evaluation (state reset, or sensitivities cleared, only by learning shows). The
    student's code is compared with itself, so this blames only state carried over from one sequence to the next.
    LSTM_RTRL's reset() must leave the gradient buffers alone."""
    rng = np.random.default_rng(seed)
    params = expected.random_params(rng, 2, 3, 1, 1.0, NETWORK_PARAMETERS)
    xs = [rng.normal(size=(T, 2)) for T in (7, 6, 4)]
    ys = list(rng.integers(0, 2, size=(3, 1)).astype(float))
    run = functools.partial(ctx.student.network_run, class_name, D=2, I=3, K=1, params=params, eta=ETA)
    try:
        after = run(xs=xs, ys=ys, zero_between=True, learning=[True, False, True])
    except StudentCodeError:  # a network built for one length (T in its constructor) takes no other: all of 4 steps
        xs = [x[: len(xs[-1])] for x in xs]
        after = run(xs=xs, ys=ys, zero_between=True, learning=[True, False, True])
    alone = run(xs=xs[-1:], ys=ys[-1:])
    if class_name == "LSTM":
        independent = close(after.losses[-1:], alone.losses, 1e-9)
    else:
        independent = close(after.outputs[-len(xs[-1]) :], alone.outputs, 1e-9) and not moved_otherwise(
            params, after.updated, alone.updated, NETWORK_PARAMETERS
        )
    if not independent:
        raise Failed(f"A sequence gives other results when others ran before it: {advice}.")
    if class_name == "LSTM_RTRL" and moved_otherwise(
        params, run(xs=xs[-1:], ys=ys[-1:], reset=True).updated, alone.updated, NETWORK_PARAMETERS
    ):
        raise Failed(
            "reset() changed the gradient buffers: it starts a new sequence (h, c and the sensitivities), but the "
            "gradient must add up over the sequences of a minibatch until zero_grad."
        )
    return "a sequence does not see the state of those before it, learned from or only evaluated"


@check("lstm.state_reset", 5, 2, "LSTM", "each forward call starts from h(0) = c(0) = 0")
def state_reset(ctx):
    return require_independent_sequences(ctx, "LSTM", 11, "reset h and c to zero at the start of every forward call")


@check(
    "lstm.bptt",
    6,
    10,
    "LSTM",
    "backward's gradient of every parameter group equals the reference's full BPTT, and is finite at a saturated ŷ",
)
def bptt(ctx):
    held = drawn_bptt(ctx)
    require_finite_at_saturation(ctx, "LSTM")
    return f"{held}, and at a saturated output"


@for_all(problems(), max_examples=12)
def drawn_bptt(ctx, problem):
    params, xs, ys, got, want = scenario(ctx, problem)
    grads = student_gradients(got, params, NETWORK_PARAMETERS)
    wrong = mismatched(grads, want["grads"], got)
    if wrong:
        raise Failed(
            f"The BPTT gradient of {', '.join(spelled('LSTM', n) for n in wrong)} differs from the "
            f"reference on {describe(problem)} (summed over 2 sequences).",
            lambda: likely_cause(matching(network_variants("bptt"), grads, "grads", params, xs, ys), wrong),
        )


def require_finite_at_saturation(ctx, class_name):
    """With b_y = 45, ŷ rounds to 1 (target 1): the gradient must still be finite and about the reference's, which
    a dL/ds_y formed as dL/dŷ · σ'(s_y) is not (0/0). Judged by absolute error: every way of computing it rounds."""
    rng = np.random.default_rng(15)
    params = expected.random_params(rng, 2, 3, 1, 1.0, NETWORK_PARAMETERS) | {"b_y": np.array([45.0])}
    xs, ys = rng.normal(size=(2, 4, 2)), np.ones((2, 1))
    got = ctx.student.network_run(class_name, D=2, I=3, K=1, params=params, xs=xs, ys=ys, eta=ETA)
    with np.errstate(divide="ignore", invalid="ignore"):  # the reference's loss at ŷ = 1 is log(0)·0
        want = expected.lstm(params, xs, ys, "bptt" if class_name == "LSTM" else "rtrl")["grads"]
    grads = student_gradients(got, params, NETWORK_PARAMETERS)
    off = [n for n in NETWORK_PARAMETERS if not np.all(np.abs(grads[n] - want[n]) <= 1e-6)]  # NaN is never <=
    if off:
        raise Failed(
            f"With a saturated output (b_y = 45, so ŷ rounds to 1, target 1) the gradient of "
            f"{', '.join(spelled(class_name, n) for n in off)} is not the reference's (about zero)"
            f"{' but NaN or infinite' if not all(np.isfinite(grads[n]).all() for n in off) else ''}: compute "
            f"dL/ds_y = ŷ - y directly, not as dL/dŷ · σ'(s_y), which divides 0 by 0 there."
        )


@check("lstm.finite_differences", 6, 3, "LSTM", "backward agrees with finite differences of the student's own loss")
@for_all(problems(max_size=4, max_length=8, first=common.SHORT_FIRST_PROBLEMS), max_examples=4)
def finite_differences(ctx, problem):
    params, xs, ys, got, _ = scenario(ctx, problem, count=1)
    rng = np.random.default_rng(problem["seed"] + 1)
    directions = common.random_directions(rng, params, 3)
    step = common.fd_step(got.precision)
    along = ctx.student.lstm_losses(
        D=problem["D"],
        I=problem["I"],
        K=1,
        params=params,
        x=xs[0],
        y=ys[0],
        directions=directions,
        offsets=offsets(step),
    )
    common.require_finite_difference_agreement(
        "LSTM", directions, got, student_gradients(got, params, NETWORK_PARAMETERS), along, problem, step
    )


@check("lstm.accumulate", 6, 2, "LSTM", "backward adds to the buffers: two sequences give the sum of their gradients")
def accumulate(ctx):
    """Three sequences learned from, with an evaluation (forward only) after the first: the buffers must hold the sum
    of the three gradients, each learned alone."""
    rng = np.random.default_rng(12)
    params = expected.random_params(rng, 2, 3, 1, 1.0, NETWORK_PARAMETERS)
    xs, ys = sequences(rng, 4, 5, 2)
    order = [0, 3, 1, 2]  # sequence 3 is only evaluated
    got = ctx.student.network_run(
        "LSTM", D=2, I=3, K=1, params=params, xs=xs[order], ys=ys[order], eta=ETA, learning=[True, False, True, True]
    )
    singles = [
        student_gradients(
            ctx.student.network_run("LSTM", D=2, I=3, K=1, params=params, xs=xs[k : k + 1], ys=ys[k : k + 1], eta=ETA),
            params,
            NETWORK_PARAMETERS,
        )
        for k in range(3)
    ]
    summed = {n: sum(single[n] for single in singles) for n in NETWORK_PARAMETERS}
    if mismatched(student_gradients(got, params, NETWORK_PARAMETERS), summed, got):
        raise Failed(
            "After three forward/backward calls, with a forward-only call (an evaluation) after the first, the "
            "gradient buffers do not hold the sum of the three gradients: backward must add (+=) to them, only "
            "zero_grad resets them, and backward goes back through the last forward call's sequence alone."
        )
    return "gradients accumulate over sequences"


@check("lstm.zero_grad", 6, 2, "LSTM", "zero_grad resets every gradient buffer of a network that holds gradients")
def zero_grad(ctx):
    return check_zero_grad(ctx, "LSTM", seed=14)


@check("lstm.update", 6, 3, "LSTM", "update(η) moves every parameter by -η times its gradient")
def update(ctx):
    return check_update(ctx, "LSTM", seed=13)


def small_run(ctx, class_name, seed):
    """(weights, the student's run, the reference's) of a network on one small problem."""
    params, _, _, got, want = scenario(ctx, dict(D=2, I=3, T=5, scale=1.0, seed=seed), class_name)
    return params, got, want


def check_update(ctx, class_name, seed):
    """The body of lstm.update and rtrl.update: one update after an accumulated gradient."""
    params, got, want = small_run(ctx, class_name, seed)
    require_descent(class_name, params, got, want["grads"], NETWORK_PARAMETERS)
    return "update descends"


def check_zero_grad(ctx, class_name, seed):
    """The body of lstm.zero_grad and rtrl.zero_grad."""
    params, got, _ = small_run(ctx, class_name, seed)
    return require_reset(class_name, params, got, NETWORK_PARAMETERS)
