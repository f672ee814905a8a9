"""Naming the likely bug: the student's numbers are compared with known-bug variants of the reference.

A variant is the reference run with one realistic mistake; when the student's numbers match a variant (and not the
reference), the report names that mistake in a sentence. Variants reuse the reference's own code: a swapped
derivative, a shortened sequence, a scaled result, never a second copy of the math.
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np

from reference.finite_differences import relative_error

from . import expected

MATCH = 1e-6


@dataclass(frozen=True)
class Variant:
    name: str
    sentence: str
    compute: Callable  # (params, inputs) -> the values the buggy code would produce


def derivative_of_output(activation, derivative):
    """The bug of feeding the activation's output to a derivative that expects the pre-activation."""
    return lambda s: derivative(activation(s))


def derivative_without_bias(derivative, b):
    """The bug of recomputing the pre-activation in backward as W x + R h, without the bias: φ'(s - b)."""
    return lambda s: derivative(s - b)


BACKWARD_WITHOUT_BIAS = ("backward recomputes the pre-activation without the bias: the derivative must be taken at "
                         "s = W x + R h + b, the same s as in forward")


def gate_variants(activation):
    f, d = expected.ACTIVATIONS[activation]
    buggy = dict(expected.ACTIVATIONS) | {activation: (f, derivative_of_output(f, d))}
    return [
        Variant("derivative of the output", "the activation's derivative is applied to its output φ(s) instead of "
                "its input s (for tanh, 1 - tanh²(s) = 1 - a², not 1 - tanh²(a))",
                lambda args: expected.gate(**args, activations=buggy)),
        Variant("bias left out in backward", BACKWARD_WITHOUT_BIAS, lambda args: expected.gate(
            **args, activations=expected.ACTIVATIONS | {
                activation: (f, derivative_without_bias(d, args["params"]["b"]))})),
        Variant("gradient sign", "the gradient has the wrong sign",
                lambda args: scaled(expected.gate(**args), -1.0)),
        Variant("assigned", "backward assigns (=) the parameter gradients instead of adding (+=) to them: only the "
                "last backward call counts", lambda args: expected.gate(**first_step_only(args))),
        Variant("order", "backward undoes the forward calls in the wrong order: it must take the most recent "
                "forward call's inputs first (pop() from the end, not pop(0))",
                lambda args: expected.gate(**dict(args, xs=args["xs"][::-1], hs=args["hs"][::-1]))),
    ]


def first_step_only(args):
    """Backward runs in reverse, so with `=` the buffers end with the contribution of the first step alone."""
    return dict(args, xs=args["xs"][:1], hs=args["hs"][:1], upstream=args["upstream"][:1])


OUTPUT_DERIVATIVE = ("an activation's derivative is applied to its output instead of its input (σ'(s) = σ(s)(1-σ(s)) "
                     "= a(1-a), but not σ'(a); 1 - tanh²(s) = 1 - z², but not 1 - tanh²(z))")


def with_output_derivative(names):
    """The activations, with the output-derivative bug in those named."""
    return {name: (f, derivative_of_output(f, d) if name in names else d)
            for name, (f, d) in expected.ACTIVATIONS.items()}


def network_variants(method):
    """Variants of the LSTM's (method "bptt") or LSTM_RTRL's ("rtrl") loss and gradient."""
    output_derivatives = [
        Variant(f"derivative of the output ({'/'.join(names)})", OUTPUT_DERIVATIVE,
                lambda p, xs, ys, names=names: expected.lstm(p, xs, ys, method,
                                                             activations=with_output_derivative(names)))
        for names in (("tanh",), ("sigmoid",), ("tanh", "sigmoid"))]
    return output_derivatives + [
        Variant("BCE sign", "the cross-entropy or its derivative has the wrong sign (e = ŷ - y, L = -[y log ŷ + "
                "(1-y) log(1-ŷ)])", lambda p, xs, ys: scaled(expected.lstm(p, xs, ys, method), -1.0)),
        Variant("added twice", "the gates' gradients are added twice (in the gates and again in the network)",
                lambda p, xs, ys: scaled(expected.lstm(p, xs, ys, method), 2.0, losses=False, only_gates=True)),
        Variant("off by one", "ŷ(T) is computed from h(T-1) instead of h(T): the last step is left out",
                lambda p, xs, ys: expected.lstm(p, xs[:, :-1], ys, method) if method == "bptt" else None),
        Variant("bias left out in backward", BACKWARD_WITHOUT_BIAS, lambda p, xs, ys: expected.lstm(
            p, xs, ys, method, derivatives={g: derivative_without_bias(expected.ACTIVATIONS[a][1], p[bias])
                                            for g, a, bias in GATE_DERIVATIVES[method]})),
        Variant("bias left out", "the gates' biases are left out of the pre-activations",
                lambda p, xs, ys: expected.lstm({n: 0 * v if n in GATE_BIASES else v for n, v in p.items()},
                                                xs, ys, method)),
        Variant("BCE inner sign", "a wrong sign inside the cross-entropy: L = -[y log ŷ + (1-y) log(1-ŷ)], "
                "both terms with the same sign", lambda p, xs, ys: {"losses": np.where(
                    ys[:, 0] == 1.0, 1.0, -1.0) * expected.lstm(p, xs, ys, method)["losses"]}),
        Variant("loss at every step", "the loss is summed over every step instead of taken at the last step only",
                lambda p, xs, ys: summed_over_prefixes(p, xs, ys, method) if xs.shape[1] > 1 else None),
        Variant("full BPTT", "the gradient is the full BPTT gradient, not the LSTM learning method's truncated one",
                lambda p, xs, ys: expected.lstm(p, xs, ys, "bptt") if method == "rtrl" else None),
    ]


def summed_over_prefixes(params, xs, ys, method):
    """What a network computes that puts the BCE at every step t, i.e. the loss of every prefix x(1..t)."""
    prefixes = [expected.lstm(params, xs[:, :t], ys, method) for t in range(1, xs.shape[1] + 1)]
    return {"losses": sum(v["losses"] for v in prefixes),
            "grads": {n: sum(v["grads"][n] for v in prefixes) for n in params}}


def scaled(values, factor, losses=True, only_gates=False):
    out = dict(values)
    out["grads"] = {n: g * (1.0 if only_gates and n in ("W_y", "b_y") else factor) for n, g in values["grads"].items()}
    if losses and "losses" in values:
        out["losses"] = factor * values["losses"]
    return out


GATE_DERIVATIVES = {  # gate, its activation, its bias's name in the LSTM's and in LSTM_RTRL's interface
    "bptt": (("z", "tanh", "z.b"), ("i", "sigmoid", "i.b"), ("o", "sigmoid", "o.b")),
    "rtrl": (("z", "tanh", "b_z"), ("i", "sigmoid", "b_i"), ("o", "sigmoid", "b_o")),
}
GATE_BIASES = {bias for gates in GATE_DERIVATIVES.values() for _, _, bias in gates}


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
    (lambda wrong: all("R" in n for n in wrong), "only the recurrent weights R are off: check the inputs h(t-1) paired "
     "with each step's δ (the order in which stored activations are used)"),
    (lambda wrong: all("o" in n.replace("W_y", "").replace("b_y", "") for n in wrong),
     "only the output gate is off: δ_o(t) = dL/dh(t) ⊙ tanh(c(t)) ⊙ σ'(s_o(t))"),
    (lambda wrong: all(n.startswith(("z.", "i.")) or n.endswith(("_z", "_i")) for n in wrong),
     "only the z and i gates are off: check the error carried through the cell, dL/dc(t) = dL/dh(t) ⊙ o(t) ⊙ "
     "(1 - tanh²(c(t))) + dL/dc(t+1)"),
)


GROUP_HINTS += (
    (lambda wrong: len(wrong) >= 6 and not wrong & {"W_y", "b_y"},
     "every gate is off while the output layer is right: backward must walk the steps in reverse order, t = T..1, "
     "pairing each step with its own stored activations"),
)


def group_hint(wrong):
    wrong = set(wrong)
    return next((hint for applies, hint in GROUP_HINTS if applies(wrong)), None)


def likely_cause(sentences, wrong_groups=()):
    """One sentence for the report: the matching variants, else what the wrong parameter groups suggest."""
    if sentences:
        return " Likely cause: " + "; or ".join(sentences) + "."
    hint = group_hint(wrong_groups) if wrong_groups else None
    return f" Hint: {hint}." if hint else ""
