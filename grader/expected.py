"""What the reference computes on the grader's weights and inputs: the numbers a student's must match."""

import numpy as np

import reference
from reference import batched
from reference.assignment import NETWORK_PARAMETERS, shape

ACTIVATIONS = {
    "tanh": (reference.tanh, reference.tanh_derivative),
    "sigmoid": (reference.sigmoid, reference.sigmoid_derivative),
    "softsign": (reference.softsign, reference.softsign_derivative),
}


def random_params(rng, D, I, K, scale, names, output_scale=1.0):
    """Weights uniform in [-scale, scale], drawn in the order of `names`; the output layer's times `output_scale`."""
    return {
        n: rng.uniform(-scale, scale, size=shape(n, D, I, K)) * (output_scale if n in ("W_y", "b_y") else 1.0)
        for n in names
    }


def gate(D, I, activation, params, xs, hs, upstream, activations=ACTIVATIONS):
    g = reference.Gate(D, I, *activations[activation])
    g.W, g.R, g.b = (params[k].copy() for k in "WRb")
    g.zero_grad()
    a = np.array([g.forward(x, h) for x, h in zip(xs, hs)])
    backs = [g.backward(u) for u in reversed(list(upstream))][::-1]
    return {
        "a": a,
        "grad_x": np.array([b[0] for b in backs]),
        "grad_h": np.array([b[1] for b in backs]),
        "grads": {"W": g.dW, "R": g.dR, "b": g.db},
    }


def lstm(params, xs, ys, method="bptt", activations=ACTIVATIONS, derivatives=None):
    """Per-sequence losses and the gradient summed over the sequences (full BPTT, or RTRL under the LSTM learning
    method); `activations`, or `derivatives` per gate ("z", "i", "o"), swap the derivatives the diagnosis tries."""
    losses, grads = [], {n: 0.0 for n in params}
    derivatives = derivatives or {
        "z": activations["tanh"][1],
        "i": activations["sigmoid"][1],
        "o": activations["sigmoid"][1],
    }
    gradient = batched.bptt_gradient if method == "bptt" else batched.rtrl_gradient
    for x, y in zip(xs, ys):
        loss, g = gradient(params, x[None], y[None], derivatives)
        losses.append(loss)
        grads = {n: grads[n] + g[n] for n in params}
    return {"losses": np.array(losses), "grads": grads}


def lstm_losses(params, xs, ys, gate_activations):
    """Per-sequence losses of the LSTM with some gates' activations swapped ({"z": "sigmoid"}), for the diagnosis."""
    model = reference.LSTM(xs.shape[2], params["b_z"].shape[0], params["b_y"].shape[0])
    for name, value in params.items():
        kind, _, gate = name.partition("_")
        setattr(getattr(model, gate) if gate in "zio" else model, kind if gate in "zio" else name, value.copy())
    for gate, activation in gate_activations.items():
        getattr(model, gate).activation = ACTIVATIONS[activation][0]
    return {"losses": np.array([model.forward(x, y) for x, y in zip(xs, ys)])}


def rtrl_model(params, D):
    """The reference LSTM_RTRL with these parameters, its buffers zero."""
    model = reference.LSTM_RTRL(D, params["b_z"].shape[0], params["b_y"].shape[0])
    for name in NETWORK_PARAMETERS:
        getattr(model, name)[...] = params[name]
    return model


def rtrl_outputs(params, xs):
    model = rtrl_model(params, xs.shape[2])
    outputs = []
    for x in xs:
        model.reset()
        outputs += [model.forward(x_t) for x_t in x]
    return np.array(outputs)


def rtrl_targets(params, x, targets):
    """ŷ of every step and the buffers of the reference LSTM_RTRL on one sequence with a target (K,) at each step
    where `targets` (T, K) has no NaN."""
    model = rtrl_model(params, x.shape[1])
    model.reset()
    outputs = [model.forward(x_t, None if np.isnan(y).any() else y) for x_t, y in zip(x, targets)]
    return {"outputs": np.array(outputs), "grads": {n: getattr(model, f"d{n}").copy() for n in NETWORK_PARAMETERS}}
