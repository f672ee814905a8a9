"""dave: correct: methods attached in later cells (a first buggy backward replaced later), helper function and globals
defined after the classes that use them.

One student's notebook: the template cells they replaced (`# %% <cell id>`) and the cells they added
(`# %% new cell <id>`), in notebook order. Built into a notebook by submissions/build.py.
"""

# %% ex00-setup-1
import time

import matplotlib.pyplot as plt
import numpy as np

np.random.seed(0xDEADBEEF)


# %% ex02-code-1
class Gate:
    """A module a = phi(W x + R h + b). forward is added below, the rest in exercise 4."""

    def __init__(self, input_size, hidden_size, activation, activation_derivative):
        self.phi = activation
        self.phi_prime = activation_derivative
        self.W = random_matrix(hidden_size, input_size)
        self.R = random_matrix(hidden_size, hidden_size)
        self.b = random_matrix(hidden_size)
        self.dW = np.zeros_like(self.W)
        self.dR = np.zeros_like(self.R)
        self.db = np.zeros_like(self.b)
        self.history = []


def gate_forward(self, x, h):
    s = self.W.dot(x) + self.R.dot(h) + self.b
    self.history.append((x, h, s))
    return self.phi(s)


Gate.forward = gate_forward


# %% ex04-code-1
def gate_zero_grad(self):
    self.dW = np.zeros_like(self.W)
    self.dR = np.zeros_like(self.R)
    self.db = np.zeros_like(self.b)


def gate_backward(self, grad_a):
    x, h, s = self.history.pop()
    delta = grad_a * self.phi_prime(s)
    self.dW += np.outer(delta, x)
    self.dR += np.outer(delta, h)
    return self.W.T.dot(delta), self.R.T.dot(delta)


def gate_update(self, eta):
    self.W -= eta * self.dW
    self.R -= eta * self.dR
    self.b -= eta * self.db


Gate.zero_grad = gate_zero_grad
Gate.backward = gate_backward
Gate.update = gate_update


# %% ex05-code-1
class LSTM:
    def __init__(self, input_size, hidden_size, output_size=1):
        self.hidden_size = hidden_size
        self.z = Gate(input_size, hidden_size, tanh, tanh_derivative)
        self.i = Gate(input_size, hidden_size, sigmoid, sigmoid_derivative)
        self.o = Gate(input_size, hidden_size, sigmoid, sigmoid_derivative)
        self.W_y = random_matrix(output_size, hidden_size)
        self.b_y = random_matrix(output_size)
        self.dW_y = np.zeros_like(self.W_y)
        self.db_y = np.zeros_like(self.b_y)


def lstm_forward(self, x, y):
    for gate in (self.z, self.i, self.o):
        gate.history = []
    T = len(x)
    self.xs = x
    self.hs = [np.zeros(self.hidden_size)]    # hs[t] = h(t), hs[0] = h(0)
    self.cs = [np.zeros(self.hidden_size)]
    self.acts = [None]                        # acts[t] = (z, i, o) of step t
    for t in range(1, T + 1):
        x_t = x[t - 1]
        z = self.z.forward(x_t, self.hs[t - 1])
        i = self.i.forward(x_t, self.hs[t - 1])
        o = self.o.forward(x_t, self.hs[t - 1])
        self.cs.append(self.cs[t - 1] + z * i)
        self.hs.append(np.tanh(self.cs[t]) * o)
        self.acts.append((z, i, o))
    self.y = y
    self.y_hat = sigmoid(self.W_y.dot(self.hs[-1]) + self.b_y)
    p = np.clip(self.y_hat, EPS, 1 - EPS)
    return float(-np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)))


LSTM.forward = lstm_forward


# %% ex06-code-1
# (LSTM.update is defined further down, together with my helpers)
def lstm_zero_grad(self):
    for gate in (self.z, self.i, self.o):
        gate.zero_grad()
    self.dW_y = np.zeros_like(self.W_y)
    self.db_y = np.zeros_like(self.b_y)


def lstm_backward(self):
    e = self.y_hat - self.y
    T = len(self.hs) - 1
    self.dW_y += np.outer(e, self.hs[T])
    self.db_y += e
    dh = self.W_y.T.dot(e)
    dc = np.zeros(self.hidden_size)
    for t in range(T, 0, -1):
        z, i, o = self.acts[t]
        tanh_c = np.tanh(self.cs[t])
        dc = dc + dh * o * (1 - tanh_c ** 2)
        dh = (self.z.backward(dc * i)[1]
              + self.i.backward(dc * z)[1]
              + self.o.backward(dh * tanh_c)[1])


LSTM.zero_grad = lstm_zero_grad
LSTM.backward = lstm_backward


# %% new cell fixed-backward
# Found it: the bias gradient was never accumulated, so b never learned. Fixed version:
def gate_backward(self, grad_a):
    x, h, s = self.history.pop()
    delta = grad_a * self.phi_prime(s)
    self.dW += np.outer(delta, x)
    self.dR += np.outer(delta, h)
    self.db += delta
    return self.W.T.dot(delta), self.R.T.dot(delta)


Gate.backward = gate_backward


# %% new cell helpers
# helpers used by my classes (moved here while cleaning up the notebook)
INIT_RANGE = 0.01
EPS = 1e-12


def random_matrix(*shape):
    return np.random.uniform(-INIT_RANGE, INIT_RANGE, size=shape)


def lstm_update(self, eta):
    for gate in (self.z, self.i, self.o):
        gate.update(eta)
    self.W_y -= eta * self.dW_y
    self.b_y -= eta * self.db_y


LSTM.update = lstm_update


# %% ex07-code-1
def generate_data(T):
    while True:
        label = float(np.random.rand() < 0.5)
        x = np.random.normal(0, np.sqrt(0.2), (T, 1))
        x[0] = 1.0 if label else -1.0
        yield x, np.array([label])


# %% ex07-experiment-1
T = 8
model = LSTM(1, 8)
data = generate_data(T)
for n in range(300):
    x, y = next(data)
    model.zero_grad()
    loss = model.forward(x, y)
    model.backward()
    model.update(1.0)
    if n % 100 == 0:
        print(n, loss)
print("accuracy:", np.mean([model.forward(*s) < np.log(2) for s in (next(data) for _ in range(500))]))


# %% ex09-code-1
class LSTM_RTRL:
    """reset and forward are added in exercise 10."""

    def __init__(self, input_size, hidden_size, output_size=1):
        self.sizes = (input_size, hidden_size, output_size)
        self.W_z, self.R_z, self.b_z = (random_matrix(hidden_size, input_size), random_matrix(hidden_size, hidden_size),
                                        random_matrix(hidden_size))
        self.W_i, self.R_i, self.b_i = (random_matrix(hidden_size, input_size), random_matrix(hidden_size, hidden_size),
                                        random_matrix(hidden_size))
        self.W_o, self.R_o, self.b_o = (random_matrix(hidden_size, input_size), random_matrix(hidden_size, hidden_size),
                                        random_matrix(hidden_size))
        self.W_y, self.b_y = random_matrix(output_size, hidden_size), random_matrix(output_size)
        self.zero_grad()
        self.reset()

    def zero_grad(self):
        for name in ("W_z", "R_z", "b_z", "W_i", "R_i", "b_i", "W_o", "R_o", "b_o", "W_y", "b_y"):
            setattr(self, "d" + name, np.zeros_like(getattr(self, name)))

    def update(self, eta):
        for name in ("W_z", "R_z", "b_z", "W_i", "R_i", "b_i", "W_o", "R_o", "b_o", "W_y", "b_y"):
            getattr(self, name)[...] -= eta * getattr(self, "d" + name)


# %% ex10-code-1
def rtrl_reset(self):
    D, I, K = self.sizes
    self.h = np.zeros(I)
    self.c = np.zeros(I)
    self.dc_dW_z, self.dc_dR_z, self.dc_db_z = np.zeros((I, D)), np.zeros((I, I)), np.zeros(I)
    self.dc_dW_i, self.dc_dR_i, self.dc_db_i = np.zeros((I, D)), np.zeros((I, I)), np.zeros(I)


def rtrl_forward(self, x_t, y=None):
    h_prev = self.h
    z = np.tanh(self.W_z.dot(x_t) + self.R_z.dot(h_prev) + self.b_z)
    i = sigmoid(self.W_i.dot(x_t) + self.R_i.dot(h_prev) + self.b_i)
    o = sigmoid(self.W_o.dot(x_t) + self.R_o.dot(h_prev) + self.b_o)
    self.c = self.c + z * i
    a_z = i * (1 - z ** 2)
    a_i = z * i * (1 - i)
    self.dc_dW_z += np.outer(a_z, x_t)
    self.dc_dR_z += np.outer(a_z, h_prev)
    self.dc_db_z += a_z
    self.dc_dW_i += np.outer(a_i, x_t)
    self.dc_dR_i += np.outer(a_i, h_prev)
    self.dc_db_i += a_i
    tanh_c = np.tanh(self.c)
    self.h = tanh_c * o
    y_hat = sigmoid(self.W_y.dot(self.h) + self.b_y)
    if y is not None:
        e = y_hat - y
        self.dW_y += np.outer(e, self.h)
        self.db_y += e
        dh = self.W_y.T.dot(e)
        dc = dh * o * (1 - tanh_c ** 2)
        self.dW_z += dc[:, None] * self.dc_dW_z
        self.dR_z += dc[:, None] * self.dc_dR_z
        self.db_z += dc * self.dc_db_z
        self.dW_i += dc[:, None] * self.dc_dW_i
        self.dR_i += dc[:, None] * self.dc_dR_i
        self.db_i += dc * self.dc_db_i
        d_o = dh * tanh_c * o * (1 - o)
        self.dW_o += np.outer(d_o, x_t)
        self.dR_o += np.outer(d_o, h_prev)
        self.db_o += d_o
    return y_hat


LSTM_RTRL.reset = rtrl_reset
LSTM_RTRL.forward = rtrl_forward


# %% ex11-experiment-1
for T in [1, 2, 4, 8]:
    rnn = LSTM_RTRL(1, 8)
    data = generate_data(T)
    for n in range(250):
        x, y = next(data)
        rnn.zero_grad()
        rnn.reset()
        for t in range(T):
            rnn.forward(x[t], y if t == T - 1 else None)
        rnn.update(0.5)
    good = 0
    for n in range(300):
        x, y = next(data)
        rnn.reset()
        for t in range(T):
            out = rnn.forward(x[t])
        good += (out[0] > 0.5) == (y[0] == 1)
    print(T, good / 300)
