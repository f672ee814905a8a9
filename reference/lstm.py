"""Exercises 5 and 6: an LSTM without forget gate, trained by full backpropagation through time."""

import numpy as np

from .activations import sigmoid, sigmoid_derivative, tanh, tanh_derivative
from .gate import Gate, uniform_init


def bce(y_hat, y):
    """Binary cross-entropy summed over the K outputs."""
    return float(-np.sum(y * np.log(y_hat) + (1.0 - y) * np.log(1.0 - y_hat)))


class LSTM:
    def __init__(self, input_size, hidden_size, output_size=1, rng=np.random):
        self.z = Gate(input_size, hidden_size, tanh, tanh_derivative, rng)  # cell input
        self.i = Gate(input_size, hidden_size, sigmoid, sigmoid_derivative, rng)  # input gate
        self.o = Gate(input_size, hidden_size, sigmoid, sigmoid_derivative, rng)  # output gate
        self.W_y = uniform_init(rng, output_size, hidden_size)  # (K, I)
        self.b_y = uniform_init(rng, output_size)  # (K,)
        self.hidden_size = hidden_size
        self.zero_grad()

    @property
    def gates(self):
        return (self.z, self.i, self.o)

    def forward(self, x, y):
        """Run a new sequence x (T, D) from h(0) = c(0) = 0; return the BCE of ŷ(T) against y (K,)."""
        for gate in self.gates:
            gate.clear_cache()
        h = c = np.zeros(self.hidden_size)
        self.steps = []  # (z, i, o, c) per step, for backward
        for x_t in x:
            z, i, o = (gate.forward(x_t, h) for gate in self.gates)
            c = c + z * i
            h = np.tanh(c) * o
            self.steps.append((z, i, o, c))
        self.h_T = h
        self.y_hat = sigmoid(self.W_y @ h + self.b_y)
        self.y = y
        return bce(self.y_hat, y)

    def backward(self):
        """Add the gradient of the last forward call's loss to the buffers (BPTT, t = T..1)."""
        e = self.y_hat - self.y  # dL/ds_y for sigmoid + BCE
        self.dW_y += np.outer(e, self.h_T)
        self.db_y += e
        dh = self.W_y.T @ e  # dL/dh(T)
        dc_next = np.zeros(self.hidden_size)  # dL/dc(t+1) through the cell's own path
        for z, i, o, c in reversed(self.steps):
            tanh_c = np.tanh(c)
            dc = dh * o * (1.0 - tanh_c**2) + dc_next
            grads = (dc * i, dc * z, dh * tanh_c)  # dL/dz(t), dL/di(t), dL/do(t)
            dh = sum(gate.backward(g)[1] for gate, g in zip(self.gates, grads))  # dL/dh(t-1) via R
            dc_next = dc

    def zero_grad(self):
        for gate in self.gates:
            gate.zero_grad()
        self.dW_y = np.zeros_like(self.W_y)
        self.db_y = np.zeros_like(self.b_y)

    def update(self, eta):
        for gate in self.gates:
            gate.update(eta)
        self.W_y -= eta * self.dW_y
        self.b_y -= eta * self.db_y
