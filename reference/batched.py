"""The same math on a minibatch of sequences at once, for the experiments.

Parameters are a dict named like LSTM_RTRL's attributes (W_z, R_z, b_z, ..., W_y, b_y). Gradients are summed over
the batch, so one call equals that many per-sequence forward/backward calls on the same weights.
"""

import numpy as np

from .activations import sigmoid, sigmoid_derivative, tanh_derivative
from .gate import uniform_init
from .rtrl import CARRIED, GATES, PARAMS


def init_params(rng, input_size, hidden_size, output_size=1):
    shapes = {"W": (hidden_size, input_size), "R": (hidden_size, hidden_size), "b": (hidden_size,)}
    p = {f"{kind}_{g}": uniform_init(rng, *shapes[kind]) for g in GATES for kind in "WRb"}
    p["W_y"] = uniform_init(rng, output_size, hidden_size)
    p["b_y"] = uniform_init(rng, output_size)
    return p


def params_of(model):
    """Copy the parameters of a per-sequence LSTM or LSTM_RTRL."""
    if hasattr(model, "W_z"):
        return {name: getattr(model, name).copy() for name in PARAMS}
    p = {f"{kind}_{g}": getattr(getattr(model, g), kind).copy() for g in GATES for kind in "WRb"}
    return p | {"W_y": model.W_y.copy(), "b_y": model.b_y.copy()}


DERIVATIVES = {"z": tanh_derivative, "i": sigmoid_derivative, "o": sigmoid_derivative}  # each of the pre-activation


def pre_activations(p, x_t, h_prev):
    """s_z, s_i, s_o for a batch: x_t (B, D), h_prev (B, I) -> dict of (B, I)."""
    return {g: x_t @ p[f"W_{g}"].T + h_prev @ p[f"R_{g}"].T + p[f"b_{g}"] for g in GATES}


def gate_activations(s):
    return np.tanh(s["z"]), sigmoid(s["i"]), sigmoid(s["o"])


def run(p, X):
    """Forward over X (B, T, D); returns ŷ(T) (B, K), h(T) and per step (h(t-1), s, z, i, o, c)."""
    B, I = X.shape[0], p["b_z"].shape[0]
    h, c = np.zeros((B, I)), np.zeros((B, I))
    steps = []
    for t in range(X.shape[1]):
        s = pre_activations(p, X[:, t], h)
        z, i, o = gate_activations(s)
        c = c + z * i
        steps.append((h, s, z, i, o, c))
        h = np.tanh(c) * o
    return sigmoid(h @ p["W_y"].T + p["b_y"]), h, steps


def loss_sum(y_hat, Y):
    return float(-np.sum(Y * np.log(y_hat) + (1.0 - Y) * np.log(1.0 - y_hat)))


def output_layer_gradient(e, h_T):
    return {"W_y": e.T @ h_T, "b_y": e.sum(axis=0)}


def add_gate_gradient(grads, g, delta, x_t, h_prev):
    """δ (B, I) of gate g at one step: ∇W += δᵀx, ∇R += δᵀh(t-1), ∇b += Σ δ."""
    grads[f"W_{g}"] += delta.T @ x_t
    grads[f"R_{g}"] += delta.T @ h_prev
    grads[f"b_{g}"] += delta.sum(axis=0)


def bptt_gradient(p, X, Y, derivatives=DERIVATIVES, trace=None):
    """Full BPTT: (summed loss, summed gradients) for X (B, T, D), Y (B, K).

    trace: a list, if given, that receives dL/dc(t) (B, I) for t = T..1, for the diagnostics of exercise 7.
    """
    y_hat, h_T, steps = run(p, X)
    e = y_hat - Y
    grads = {name: np.zeros_like(v) for name, v in p.items()} | output_layer_gradient(e, h_T)
    dh = e @ p["W_y"]
    dc_next = np.zeros_like(h_T)
    for t in reversed(range(X.shape[1])):
        h_prev, s, z, i, o, c = steps[t]
        tanh_c = np.tanh(c)
        dc = dh * o * (1.0 - tanh_c**2) + dc_next
        if trace is not None:
            trace.append(dc)
        upstream = {"z": dc * i, "i": dc * z, "o": dh * tanh_c}  # dL/dz(t), dL/di(t), dL/do(t)
        deltas = {g: upstream[g] * derivatives[g](s[g]) for g in GATES}
        for g, delta in deltas.items():
            add_gate_gradient(grads, g, delta, X[:, t], h_prev)
        dh = sum(delta @ p[f"R_{g}"] for g, delta in deltas.items())
        dc_next = dc
    return loss_sum(y_hat, Y), grads


def rtrl_gradient(p, X, Y, derivatives=DERIVATIVES):
    """RTRL under the LSTM learning method, target at the last step: (summed loss, summed gradients)."""
    B, T, _ = X.shape
    I = p["b_z"].shape[0]
    S = {name: np.zeros((B, *p[name].shape)) for name in CARRIED}  # per-sequence ∂c_n/∂θ[n, ...]
    h, c = np.zeros((B, I)), np.zeros((B, I))
    for t in range(T):
        h_prev = h
        s = pre_activations(p, X[:, t], h_prev)
        z, i, o = gate_activations(s)
        c = c + z * i
        for g, dc_ds in (("z", i * derivatives["z"](s["z"])), ("i", z * derivatives["i"](s["i"]))):
            S[f"W_{g}"] += dc_ds[:, :, None] * X[:, t, None, :]
            S[f"R_{g}"] += dc_ds[:, :, None] * h_prev[:, None, :]
            S[f"b_{g}"] += dc_ds
        h = np.tanh(c) * o
    y_hat = sigmoid(h @ p["W_y"].T + p["b_y"])
    e = y_hat - Y
    grads = {name: np.zeros_like(v) for name, v in p.items()} | output_layer_gradient(e, h)
    dh = e @ p["W_y"]
    tanh_c = np.tanh(c)
    dc = dh * o * (1.0 - tanh_c**2)
    for name in CARRIED:
        grads[name] = np.einsum("bn,bn...->n...", dc, S[name])
    add_gate_gradient(grads, "o", dh * tanh_c * derivatives["o"](s["o"]), X[:, -1], h_prev)
    return loss_sum(y_hat, Y), grads


def accuracy(p, X, Y):
    y_hat, _, _ = run(p, X)
    return float(np.mean((y_hat > 0.5) == (Y > 0.5)))
