"""Exercises 2 and 4: one module a = φ(W x + R h + b) with its backward pass."""

import numpy as np

INIT_SCALE = 0.01


def uniform_init(rng, *shape):
    """Parameters drawn uniformly from [-0.01, 0.01], as the assignment fixes."""
    return rng.uniform(-INIT_SCALE, INIT_SCALE, size=shape)


class Gate:
    def __init__(self, input_size, hidden_size, activation, activation_derivative, rng=np.random):
        self.activation = activation
        self.activation_derivative = activation_derivative
        self.W = uniform_init(rng, hidden_size, input_size)  # (I, D)
        self.R = uniform_init(rng, hidden_size, hidden_size)  # (I, I)
        self.b = uniform_init(rng, hidden_size)  # (I,)
        self.zero_grad()
        self.clear_cache()

    def clear_cache(self):
        """Forget the inputs stored by earlier forward calls (a new sequence starts)."""
        self.cache = []  # one (x, h, s) per forward call, popped by backward

    def forward(self, x, h):
        s = self.W @ x + self.R @ h + self.b
        self.cache.append((x, h, s))
        return self.activation(s)

    def backward(self, grad_a):
        """Undo the most recent forward call: accumulate ∇W, ∇R, ∇b, return (∇x, ∇h)."""
        x, h, s = self.cache.pop()
        delta = grad_a * self.activation_derivative(s)
        self.dW += np.outer(delta, x)
        self.dR += np.outer(delta, h)
        self.db += delta
        return self.W.T @ delta, self.R.T @ delta

    def zero_grad(self):
        self.dW = np.zeros_like(self.W)
        self.dR = np.zeros_like(self.R)
        self.db = np.zeros_like(self.b)

    def update(self, eta):
        self.W -= eta * self.dW
        self.R -= eta * self.dR
        self.b -= eta * self.db
