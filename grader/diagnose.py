"""Naming the likely bug: the student's numbers are compared with known-bug variants of the reference.

A variant is the reference run with one realistic mistake; when the student's numbers match a variant (and not the
reference), the report names that mistake in a sentence. Variants reuse the reference's own code: a swapped
derivative, a shortened sequence, a scaled result, never a second copy of the math.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from reference.assignment import GATES
from reference.finite_differences import relative_error

from . import expected

MATCH = 1e-6


@dataclass(frozen=True)
class Variant:
    name: str
    sentence: str
    compute: Callable  # (params, inputs) -> the values the buggy code would produce


def derivative_of_output(name):
    """The bug of feeding the activation's output to a derivative that expects the pre-activation."""
    f, d = expected.ACTIVATIONS[name]
    return lambda s: d(f(s))


OUTPUT_FORMULAS = {  # each derivative written in terms of the activation's output a
    "tanh": lambda a: 1.0 - a**2,
    "sigmoid": lambda a: a * (1.0 - a),
    "softsign": lambda a: (1.0 - np.abs(a)) ** 2,
}


def formula_on_input(name):
    """The bug of writing the derivative in terms of the output (a(1-a), 1-a²) and feeding it the pre-activation."""
    return OUTPUT_FORMULAS[name]


def derivative_without_bias(derivative, b):
    """The bug of recomputing the pre-activation in backward as W x + R h, without the bias: φ'(s - b)."""
    return lambda s: derivative(s - b)


OUTPUT_DERIVATIVE = (
    "an activation's derivative is applied to its output instead of its input (σ'(s) = σ(s)(1-σ(s)) "
    "= a(1-a), but not σ'(a); 1 - tanh²(s) = 1 - z², but not 1 - tanh²(z))"
)
FORMULA_ON_INPUT = (
    "a derivative written for the output is applied to the pre-activation s: σ'(s) = σ(s)(1-σ(s)), "
    "not s(1-s); tanh'(s) = 1 - tanh²(s), not 1 - s²"
)
BACKWARD_WITHOUT_BIAS = (
    "backward recomputes the pre-activation without the bias: the derivative must be taken at "
    "s = W x + R h + b, the same s as in forward"
)
DERIVATIVE_BUGS = ((derivative_of_output, OUTPUT_DERIVATIVE), (formula_on_input, FORMULA_ON_INPUT))


def with_derivative_bug(bug, names):
    """The activations, with `bug` in the derivatives of those named."""
    return {name: (f, bug(name) if name in names else d) for name, (f, d) in expected.ACTIVATIONS.items()}


def gate_forward_variants(activation):
    """Variants of Gate.forward's a = φ(W x + R h + b)."""

    def without(name):
        return lambda args: expected.gate(**dict(args, params=args["params"] | {name: 0 * args["params"][name]}))

    others = [other for other in ("tanh", "sigmoid") if other != activation]
    return [
        Variant("bias left out", "the bias b is left out of W x + R h + b", without("b")),
        Variant("R h left out", "the recurrent input R h is left out of W x + R h + b", without("R")),
        Variant("W x left out", "the input W x is left out of W x + R h + b", without("W")),
    ] + [
        Variant(
            f"{other} hard-coded",
            f"forward applies {other} whatever activation the constructor was given",
            lambda args, other=other: expected.gate(
                **args, activations=expected.ACTIVATIONS | {activation: expected.ACTIVATIONS[other]}
            ),
        )
        for other in others
    ]


def gate_variants(activation):
    """Variants of Gate.backward's ∇x, ∇h and accumulated ∇W, ∇R, ∇b."""
    f, d = expected.ACTIVATIONS[activation]
    return [
        Variant(
            f"derivative bug: {sentence}",
            sentence,
            lambda args, bug=bug: expected.gate(**args, activations=with_derivative_bug(bug, [activation])),
        )
        for bug, sentence in DERIVATIVE_BUGS
    ] + [
        Variant(
            "bias left out in backward",
            BACKWARD_WITHOUT_BIAS,
            lambda args: expected.gate(
                **args,
                activations=expected.ACTIVATIONS | {activation: (f, derivative_without_bias(d, args["params"]["b"]))},
            ),
        ),
        Variant("gradient sign", "the gradient has the wrong sign", lambda args: scaled(expected.gate(**args), -1.0)),
        Variant(
            "assigned",
            "backward assigns (=) the parameter gradients instead of adding (+=) to them: only the "
            "last backward call counts",
            lambda args: expected.gate(**first_step_only(args)),
        ),
        Variant(
            "order",
            "backward undoes the forward calls in the wrong order: it must take the most recent "
            "forward call's inputs first (pop() from the end, not pop(0))",
            lambda args: expected.gate(**dict(args, xs=args["xs"][::-1], hs=args["hs"][::-1])),
        ),
    ]


def first_step_only(args):
    """Backward runs in reverse, so with `=` the buffers end with the contribution of the first step alone."""
    return dict(args, xs=args["xs"][:1], hs=args["hs"][:1], upstream=args["upstream"][:1])


def zeroed(params, names):
    return {n: 0 * v if n in names else v for n, v in params.items()}


def network_variants(method):
    """Variants of the LSTM's (method "bptt") or LSTM_RTRL's ("rtrl") loss and gradient."""
    derivatives = [
        Variant(
            f"derivative bug ({'/'.join(names)}): {sentence}",
            sentence,
            lambda p, xs, ys, bug=bug, names=names: expected.lstm(
                p, xs, ys, method, activations=with_derivative_bug(bug, names)
            ),
        )
        for bug, sentence in DERIVATIVE_BUGS
        for names in (("tanh",), ("sigmoid",), ("tanh", "sigmoid"))
    ]
    return derivatives + [
        Variant(
            "BCE sign",
            "the cross-entropy or its derivative has the wrong sign (e = ŷ - y, L = -[y log ŷ + (1-y) log(1-ŷ)])",
            lambda p, xs, ys: scaled(expected.lstm(p, xs, ys, method), -1.0),
        ),
        Variant(
            "added twice",
            "the gates' gradients are added twice (in the gates and again in the network)",
            lambda p, xs, ys: scaled(expected.lstm(p, xs, ys, method), 2.0, losses=False, only_gates=True),
        ),
        Variant(
            "off by one",
            "ŷ(T) is computed from h(T-1) instead of h(T): the last step is left out",
            lambda p, xs, ys: expected.lstm(p, xs[:, :-1], ys, method) if method == "bptt" else None,
        ),
        Variant(
            "bias left out in backward",
            BACKWARD_WITHOUT_BIAS,
            lambda p, xs, ys: expected.lstm(
                p,
                xs,
                ys,
                method,
                derivatives={
                    g: derivative_without_bias(expected.ACTIVATIONS[a][1], p[f"b_{g}"])
                    for g, a in GATE_ACTIVATIONS.items()
                },
            ),
        ),
        Variant(
            "bias left out",
            "the gates' biases are left out of the pre-activations",
            lambda p, xs, ys: expected.lstm(zeroed(p, GATE_BIASES), xs, ys, method),
        ),
        Variant(
            "R h left out",
            "the recurrent input R h(t-1) is left out of the gates' pre-activations",
            lambda p, xs, ys: expected.lstm(zeroed(p, GATE_RECURRENT), xs, ys, method),
        ),
        Variant(
            "z with the sigmoid",
            "the cell input z uses the sigmoid instead of tanh",
            lambda p, xs, ys: expected.lstm_losses(p, xs, ys, {"z": "sigmoid"}) if method == "bptt" else None,
        ),
        Variant(
            "BCE inner sign",
            "a wrong sign inside the cross-entropy: L = -[y log ŷ + (1-y) log(1-ŷ)], both terms with the same sign",
            lambda p, xs, ys: {
                "losses": np.where(ys[:, 0] == 1.0, 1.0, -1.0) * expected.lstm(p, xs, ys, method)["losses"]
            },
        ),
        Variant(
            "loss at every step",
            "the loss is summed over every step instead of taken at the last step only",
            lambda p, xs, ys: summed_over_prefixes(p, xs, ys, method) if xs.shape[1] > 1 else None,
        ),
        Variant(
            "no recurrent path",
            "backward does not send dL/dh(t) back to h(t-1) through R (the Rᵀδ of every "
            "gate): that gives the LSTM learning method's truncated gradient, not full BPTT",
            lambda p, xs, ys: expected.lstm(p, xs, ys, "rtrl") if method == "bptt" else None,
        ),
        Variant(
            "full BPTT",
            "the gradient is the full BPTT gradient, not the LSTM learning method's truncated one",
            lambda p, xs, ys: expected.lstm(p, xs, ys, "bptt") if method == "rtrl" else None,
        ),
    ]


def rtrl_output_variants():
    """Variants of LSTM_RTRL's ŷ(t): one term left out of one gate's pre-activation."""
    return [
        Variant(
            f"{kind} left out of {g}",
            f"{term} is left out of gate {g}'s pre-activation",
            lambda p, xs, name=f"{kind}_{g}": {"outputs": expected.rtrl_outputs(zeroed(p, {name}), xs)},
        )
        for g in GATES
        for kind, term in (("R", f"R_{g} h(t-1)"), ("b", f"the bias b_{g}"))
    ]


def summed_over_prefixes(params, xs, ys, method):
    """What a network computes that puts the BCE at every step t, i.e. the loss of every prefix x(1..t)."""
    prefixes = [expected.lstm(params, xs[:, :t], ys, method) for t in range(1, xs.shape[1] + 1)]
    return {
        "losses": sum(v["losses"] for v in prefixes),
        "grads": {n: sum(v["grads"][n] for v in prefixes) for n in params},
    }


def scaled(values, factor, losses=True, only_gates=False):
    out = dict(values)
    out["grads"] = {n: g * (1.0 if only_gates and n in ("W_y", "b_y") else factor) for n, g in values["grads"].items()}
    if losses and "losses" in values:
        out["losses"] = factor * values["losses"]
    return out


GATE_ACTIVATIONS = {"z": "tanh", "i": "sigmoid", "o": "sigmoid"}
GATE_BIASES = {f"b_{g}" for g in GATES}
GATE_RECURRENT = {f"R_{g}" for g in GATES}


def matching(variants, student, key, *inputs):
    """The sentences of the variants whose `key` ("losses" or "grads") the student's numbers match."""
    found = []
    for variant in variants:
        with np.errstate(all="ignore"):
            values = variant.compute(*inputs)
        if values is None or key not in values:
            continue
        want = values[key]
        if isinstance(want, dict):
            agree = all(student.get(n) is not None and relative_error(student[n], want[n]) < MATCH for n in want)
        else:
            agree = relative_error(np.asarray(student, dtype=float), want) < MATCH
        if agree:
            found.append(variant.sentence)
    return found


GROUP_HINTS = (
    (lambda wrong: wrong <= {"W_y", "b_y"}, "only the output layer's gradient is off: dW_y = e h(T)ᵀ, db_y = e"),
    (
        lambda wrong: all("R" in n for n in wrong),
        "only the recurrent weights R are off: check the inputs h(t-1) paired "
        "with each step's δ (the order in which stored activations are used)",
    ),
    (
        lambda wrong: all("o" in n.replace("W_y", "").replace("b_y", "") for n in wrong),
        "only the output gate is off: δ_o(t) = dL/dh(t) ⊙ tanh(c(t)) ⊙ σ'(s_o(t))",
    ),
    (
        lambda wrong: all(n.endswith(("_z", "_i")) for n in wrong),
        "only the z and i gates are off: check the error carried through the cell, dL/dc(t) = dL/dh(t) ⊙ o(t) ⊙ "
        "(1 - tanh²(c(t))) + dL/dc(t+1)",
    ),
    (
        lambda wrong: len(wrong) >= 6 and not wrong & {"W_y", "b_y"},
        "every gate is off while the output layer is right, so the error sent back through time is wrong: check that "
        "dL/dc(t) = dL/dh(t) ⊙ o(t) ⊙ (1 - tanh²(c(t))) + dL/dc(t+1) carries the cell error, and that backward walks "
        "the steps in reverse order, t = T..1, pairing each step with its own stored activations",
    ),
)


RTRL_HINTS = (  # tried before GROUP_HINTS for LSTM_RTRL, whose z and i gradients come from the sensitivities
    (
        lambda wrong: all(n.endswith(("_z", "_i")) for n in wrong),
        "only the z and i gates are off: check the sensitivities dc/dθ: they must add up (+=) the step's terms over "
        "the sequence, use h(t-1), and start from zero at every reset",
    ),
)


STORED_FOR_BACKWARD = (
    "; where forward's loss is right, what forward stores for backward (each step's gates and cell, h(T)) is as "
    "likely at fault as backward itself"
)


def group_hint(wrong, method="bptt"):
    """The hint of the first pattern the wrong groups fit; BPTT's add that what forward stored may be at fault (the
    grader sees only the gradient, which a wrong cache and a wrong backward spoil alike)."""
    wrong = set(wrong)
    hints = (RTRL_HINTS if method == "rtrl" else ()) + GROUP_HINTS
    hint = next((hint for applies, hint in hints if applies(wrong)), None)
    return hint + STORED_FOR_BACKWARD if hint and method == "bptt" else hint


def likely_cause(sentences, wrong_groups=(), method="bptt"):
    """One sentence for the report: the matching variants, else what the wrong parameter groups suggest."""
    if sentences:
        return " Likely cause: " + "; or ".join(sentences) + "."
    hint = group_hint(wrong_groups, method) if wrong_groups else None
    return f" Hint: {hint}." if hint else ""
