"""Exercises 9 and 10: LSTM_RTRL's initialisation, update, per-step outputs, truncated gradient and memory."""

import numpy as np

from reference.assignment import NETWORK_PARAMETERS, spelled

from .. import expected
from ..diagnose import likely_cause, matching, network_variants, rtrl_output_variants
from .common import ETA, close, describe, mismatched, problems, require_close, student_gradients, tolerance
from .lstm import (
    check_network_init,
    check_update,
    check_zero_grad,
    require_finite_at_saturation,
    require_independent_sequences,
)
from .lstm import scenario as network_scenario
from .registry import Failed, check, for_all


def scenario(ctx, problem, count=2):
    return network_scenario(ctx, problem, "LSTM_RTRL", count)


@check("rtrl.init", 9, 2, "LSTM_RTRL", "every parameter has its shape, uniform in [-0.01, 0.01]; gradient buffers made")
def init(ctx):
    return check_network_init(ctx, "LSTM_RTRL")


@check(
    "rtrl.reset",
    9,
    2,
    "LSTM_RTRL",
    "reset starts a new sequence: h, c and the sensitivities back to zero, the gradient buffers left alone",
)
def reset(ctx):
    return require_independent_sequences(ctx, "LSTM_RTRL", 22, "reset must set h, c and every sensitivity to zero")


@check("rtrl.zero_grad", 9, 1, "LSTM_RTRL", "zero_grad resets every gradient buffer of a network that holds gradients")
def zero_grad(ctx):
    return check_zero_grad(ctx, "LSTM_RTRL", seed=23)


@check("rtrl.update", 9, 2, "LSTM_RTRL", "update(η) moves every parameter by -η times its gradient")
def update(ctx):
    return check_update(ctx, "LSTM_RTRL", seed=21)


@check("rtrl.outputs", 10, 6, "LSTM_RTRL", "forward's ŷ(t) equals the reference's at every step, after reset")
@for_all(problems(), max_examples=10)
def outputs(ctx, problem):
    params, xs, _, got, _ = scenario(ctx, problem)
    require_close(
        "The ŷ(t) returned by LSTM_RTRL.forward",
        got.outputs,
        expected.rtrl_outputs(params, xs),
        problem,
        lambda: likely_cause(matching(rtrl_output_variants(), got.outputs, "outputs", params, xs)),
        tolerance(got),
    )


def require_targets_before_the_end(ctx):
    """forward(x_t, y) may be given a target at any step: with targets at two steps before the last, the outputs and
    the gradient must be the reference's (a sequence is not over at its first target)."""
    rng = np.random.default_rng(24)
    params = expected.random_params(rng, 2, 3, 1, 1.0, NETWORK_PARAMETERS)
    x, targets = rng.normal(size=(6, 2)), np.full((6, 1), np.nan)
    targets[[1, 3, 5]] = rng.integers(0, 2, size=(3, 1))
    got = ctx.student.network_run("LSTM_RTRL", D=2, I=3, K=1, params=params, xs=[x], ys=[targets], eta=ETA)
    want = expected.rtrl_targets(params, x, targets)
    grads = student_gradients(got, params, NETWORK_PARAMETERS)
    if not close(got.outputs, want["outputs"], tolerance(got)) or mismatched(grads, want["grads"], got):
        raise Failed(
            "With targets at steps 2, 4 and 6 of one sequence (forward(x_t, y) with y before the last step), the "
            "outputs or the gradient differ from the LSTM learning method's: a target adds this step's gradient "
            "and the sequence goes on, with its state and sensitivities, until reset."
        )


@check(
    "rtrl.gradient",
    10,
    8,
    "LSTM_RTRL",
    "the accumulated gradient is the LSTM learning method's truncated gradient (= frozen-h finite differences), "
    "with targets at several steps and at a saturated ŷ",
)
def gradient(ctx):
    held = drawn_gradients(ctx)
    require_targets_before_the_end(ctx)
    require_finite_at_saturation(ctx, "LSTM_RTRL")
    return f"{held}, with targets at several steps, and at a saturated output"


@for_all(problems(), max_examples=10)
def drawn_gradients(ctx, problem):
    params, xs, ys, got, want = scenario(ctx, problem)
    grads = student_gradients(got, params, NETWORK_PARAMETERS)
    wrong = mismatched(grads, want["grads"], got)
    if not wrong:
        return
    raise Failed(
        f"The RTRL gradient of {', '.join(spelled('LSTM_RTRL', n) for n in wrong)} differs from the LSTM learning "
        f"method's on {describe(problem)} (summed over 2 sequences, target at the last step).",
        lambda: likely_cause(matching(network_variants("rtrl"), grads, "grads", params, xs, ys), wrong, "rtrl"),
    )


MEMORY_D = 4  # inputs wide enough that keeping them (D numbers a step) shows beside one number a step
MEMORY_PER_STEP = 2  # numbers a step allowed to grow by: a history of ŷ or losses, not of inputs or states


@check(
    "rtrl.memory",
    10,
    4,
    "LSTM_RTRL",
    "the object holds O(I(D+I)) numbers whatever the sequence's length: sensitivities, not O(I³), not the sequence",
)
def memory(ctx):
    sizes, lengths = (16, 32, 64), (10, 40)
    held = ctx.student.rtrl_memory(D=MEMORY_D, sizes=list(sizes), lengths=list(lengths))
    per_step = (held[0, 1] - held[0, 0]) / (lengths[1] - lengths[0])
    if not per_step < MEMORY_PER_STEP:
        raise Failed(
            f"Your LSTM_RTRL holds {held[0, 0]:.0f} numbers after {lengths[0]} steps and {held[0, 1]:.0f} "
            f"after {lengths[1]} (I = {sizes[0]}): about {per_step:.0f} more per step, as if it stored the "
            f"sequence to go back through it. RTRL carries what it needs forward in sensitivities of a fixed "
            f"size, whatever the length."
        )
    by_size = held[:, 0]
    exponent = float(np.log(by_size[-1] / by_size[-2]) / np.log(sizes[-1] / sizes[-2]))  # the largest sizes dominate
    if not exponent <= 2.5:
        raise Failed(
            f"The numbers your LSTM_RTRL holds grow like I^{exponent:.1f} ({by_size.astype(int).tolist()} "
            f"for I = {list(sizes)}), as in full RTRL's O(I³); the LSTM learning method needs only O(I(D+I)) "
            f"sensitivities, one per parameter of the z and i gates."
        )
    return (
        f"holds {by_size.astype(int).tolist()} numbers for I = {list(sizes)} (grows like I^{exponent:.1f}), "
        f"{per_step:.1f} more per step of the sequence"
    )
