"""Exercises 9 and 10: the same LSTM trained online by RTRL under the LSTM learning method.

The gates' h(t-1) is treated as an external input, so only the cell carries error back in time and c_n(t) depends
on the z- and i-parameters of row n alone: the sensitivities have the parameters' own shapes, O(I(D+I)) numbers.
"""

import numpy as np

from .activations import sigmoid
from .gate import uniform_init

GATES = ("z", "i", "o")
PARAMS = tuple(f"{kind}_{g}" for g in GATES for kind in ("W", "R", "b")) + ("W_y", "b_y")
CARRIED = tuple(f"{kind}_{g}" for g in ("z", "i") for kind in ("W", "R", "b"))  # parameters with sensitivities


class LSTM_RTRL:
    def __init__(self, input_size, hidden_size, output_size=1, rng=np.random):
        for g in GATES:
            setattr(self, f"W_{g}", uniform_init(rng, hidden_size, input_size))  # (I, D)
            setattr(self, f"R_{g}", uniform_init(rng, hidden_size, hidden_size))  # (I, I)
            setattr(self, f"b_{g}", uniform_init(rng, hidden_size))  # (I,)
        self.W_y = uniform_init(rng, output_size, hidden_size)  # (K, I)
        self.b_y = uniform_init(rng, output_size)  # (K,)
        self.zero_grad()
        self.reset()

    def reset(self):
        """A new sequence: h(0) = c(0) = 0 and every sensitivity ∂c(t)/∂θ to zero."""
        self.h = np.zeros(self.b_z.shape)
        self.c = np.zeros(self.b_z.shape)
        self.S = {name: np.zeros_like(getattr(self, name)) for name in CARRIED}  # S[W_z][n, k] = ∂c_n/∂W_z[n, k]

    def pre_activation(self, g, x, h):
        return getattr(self, f"W_{g}") @ x + getattr(self, f"R_{g}") @ h + getattr(self, f"b_{g}")

    def accumulate_sensitivities(self, x, h_prev, z, i):
        """∂c_n(t)/∂θ[n, k] = ∂c_n(t-1)/∂θ[n, k] + (∂c_n(t)/∂s_n(t)) · input_k(t)."""
        for g, dc_ds in (("z", i * (1.0 - z**2)), ("i", z * i * (1.0 - i))):
            self.S[f"W_{g}"] += np.outer(dc_ds, x)
            self.S[f"R_{g}"] += np.outer(dc_ds, h_prev)
            self.S[f"b_{g}"] += dc_ds

    def accumulate_gradient(self, x, h_prev, o, tanh_c, e):
        """The LSTM learning method's gradient of this step's loss, e = ŷ(t) - y."""
        self.dW_y += np.outer(e, self.h)
        self.db_y += e
        dh = self.W_y.T @ e
        dc = dh * o * (1.0 - tanh_c**2)  # dL/dc(t), multiplies the carried sensitivities
        for name in CARRIED:
            getattr(self, f"d{name}")[...] += np.einsum("n,n...->n...", dc, self.S[name])  # row n gets dc_n
        delta_o = dh * tanh_c * o * (1.0 - o)  # the output gate sees only this step
        self.dW_o += np.outer(delta_o, x)
        self.dR_o += np.outer(delta_o, h_prev)
        self.db_o += delta_o

    def forward(self, x_t, y=None):
        """One time step x_t (D,); with a target y (K,), add the gradient of BCE(ŷ(t), y) to the buffers."""
        h_prev = self.h
        z = np.tanh(self.pre_activation("z", x_t, h_prev))
        i = sigmoid(self.pre_activation("i", x_t, h_prev))
        o = sigmoid(self.pre_activation("o", x_t, h_prev))
        self.c = self.c + z * i
        self.accumulate_sensitivities(x_t, h_prev, z, i)
        tanh_c = np.tanh(self.c)
        self.h = tanh_c * o
        y_hat = sigmoid(self.W_y @ self.h + self.b_y)
        if y is not None:
            self.accumulate_gradient(x_t, h_prev, o, tanh_c, y_hat - y)
        return y_hat

    def zero_grad(self):
        for name in PARAMS:
            setattr(self, f"d{name}", np.zeros_like(getattr(self, name)))

    def update(self, eta):
        for name in PARAMS:
            getattr(self, name)[...] -= eta * getattr(self, f"d{name}")
