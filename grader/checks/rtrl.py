"""Exercises 9 and 10: LSTM_RTRL's initialisation, update, per-step outputs, truncated gradient and memory."""
import numpy as np

from reference.assignment import NETWORK_PARAMETERS

from .. import expected
from ..diagnose import likely_cause, matching, network_variants, rtrl_output_variants
from .common import describe, mismatched, problems, require_close, student_gradients
from .lstm import check_network_init, check_update
from .lstm import scenario as network_scenario
from .registry import Failed, check, for_all


def scenario(ctx, problem, count=2):
    return network_scenario(ctx, problem, "LSTM_RTRL", count)


@check("rtrl.init", 9, 2, "LSTM_RTRL", "every parameter has its shape and is uniform in [-0.01, 0.01]")
def init(ctx):
    return check_network_init(ctx, "LSTM_RTRL")


@check("rtrl.update", 9, 3, "LSTM_RTRL", "update(η) moves every parameter by -η times its gradient")
def update(ctx):
    return check_update(ctx, "LSTM_RTRL", seed=21)


@check("rtrl.outputs", 10, 6, "LSTM_RTRL", "forward's ŷ(t) equals the reference's at every step, after reset")
@for_all(problems(), max_examples=10)
def outputs(ctx, problem):
    params, xs, _, got, _ = scenario(ctx, problem)
    require_close("The ŷ(t) returned by LSTM_RTRL.forward", got.outputs, expected.rtrl_outputs(params, xs), problem,
                  lambda: likely_cause(matching(rtrl_output_variants(), got.outputs, "outputs", params, xs)))


@check("rtrl.gradient", 10, 10, "LSTM_RTRL",
       "the accumulated gradient is the LSTM learning method's truncated gradient (= frozen-h finite differences)")
@for_all(problems(), max_examples=10)
def gradient(ctx, problem):
    params, xs, ys, got, want = scenario(ctx, problem)
    grads = student_gradients(got, params, NETWORK_PARAMETERS)
    wrong = mismatched(grads, want["grads"])
    if not wrong:
        return
    raise Failed(f"The RTRL gradient of {', '.join(wrong)} differs from the LSTM learning method's on "
                 f"{describe(problem)} (summed over 2 sequences, target at the last step).",
                 lambda: likely_cause(matching(network_variants("rtrl"), grads, "grads", params, xs, ys), wrong, "rtrl"))


@check("rtrl.memory", 10, 4, "LSTM_RTRL", "the object holds O(I(D+I)) numbers (sensitivities), not O(I³)")
def memory(ctx):
    sizes = (16, 32, 64)
    held = ctx.student.rtrl_memory(D=1, sizes=list(sizes), T=20)
    exponent = float(np.log(held[-1] / held[-2]) / np.log(sizes[-1] / sizes[-2]))  # the largest sizes dominate
    if exponent > 2.5:
        raise Failed(f"The numbers your LSTM_RTRL holds grow like I^{exponent:.1f} ({held.astype(int).tolist()} for "
                     f"I = {list(sizes)}), as in full RTRL's O(I³); the LSTM learning method needs only O(I(D+I)) "
                     f"sensitivities, one per parameter of the z and i gates.")
    return f"holds {held.astype(int).tolist()} numbers for I = {list(sizes)} (grows like I^{exponent:.1f})"
