"""frank: correct: sizes in the other order (hidden_size first), Gate.forward returns nothing (appends to self.output),
pre-activation recomputed in backward, W_out/b_out.

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
    def __init__(self, hidden_size, input_size, activation, activation_derivative):
        self.hidden_size = hidden_size
        self.input_size = input_size
        self.activation = activation
        self.derivative = activation_derivative
        self.W = np.random.uniform(-0.01, 0.01, (hidden_size, input_size))
        self.R = np.random.uniform(-0.01, 0.01, (hidden_size, hidden_size))
        self.b = np.random.uniform(-0.01, 0.01, hidden_size)
        self.dW = np.zeros((hidden_size, input_size))
        self.dR = np.zeros((hidden_size, hidden_size))
        self.db = np.zeros(hidden_size)
        self.xs, self.hs = [], []   # inputs of the forward calls
        self.output = []            # activations of the forward calls

    def forward(self, x, h):
        """Computes a = f(W x + R h + b) and appends it to self.output."""
        self.xs.append(x)
        self.hs.append(h)
        self.output.append(self.activation(self.W @ x + self.R @ h + self.b))


# %% ex04-code-1
def zero_grad(self):
    self.dW.fill(0.0)
    self.dR.fill(0.0)
    self.db.fill(0.0)


def backward(self, grad_a):
    x = self.xs.pop()
    h = self.hs.pop()
    self.output.pop()
    s = self.W @ x + self.R @ h + self.b    # pre-activation, computed again
    delta = grad_a * self.derivative(s)
    self.dW += np.outer(delta, x)
    self.dR += np.outer(delta, h)
    self.db += delta
    return self.W.T @ delta, self.R.T @ delta


def update(self, eta):
    self.W -= eta * self.dW
    self.R -= eta * self.dR
    self.b -= eta * self.db


Gate.zero_grad = zero_grad
Gate.backward = backward
Gate.update = update


# %% ex05-code-1
class LSTM:
    def __init__(self, hidden_size, input_size, output_size=1):
        self.hidden_size = hidden_size
        self.z = Gate(hidden_size, input_size, tanh, tanh_derivative)
        self.i = Gate(hidden_size, input_size, sigmoid, sigmoid_derivative)
        self.o = Gate(hidden_size, input_size, sigmoid, sigmoid_derivative)
        self.W_out = np.random.uniform(-0.01, 0.01, (output_size, hidden_size))
        self.b_out = np.random.uniform(-0.01, 0.01, output_size)
        self.dW_out = np.zeros((output_size, hidden_size))
        self.db_out = np.zeros(output_size)

    def forward(self, x, y):
        gates = (self.z, self.i, self.o)
        for g in gates:
            g.xs, g.hs, g.output = [], [], []
        h = np.zeros(self.hidden_size)
        c = np.zeros(self.hidden_size)
        self.states = []
        for x_t in x:
            for g in gates:
                g.forward(x_t, h)
            z, i, o = self.z.output[-1], self.i.output[-1], self.o.output[-1]
            c = c + z * i
            h = np.tanh(c) * o
            self.states.append((z, i, o, c))
        self.h_last = h
        self.y_hat = sigmoid(self.W_out @ h + self.b_out)
        self.y = y
        return -float(np.sum(y * np.log(self.y_hat) + (1 - y) * np.log(1 - self.y_hat)))


# %% ex06-code-1
def zero_grad(self):
    for g in (self.z, self.i, self.o):
        g.zero_grad()
    self.dW_out.fill(0.0)
    self.db_out.fill(0.0)


def backward(self):
    e = self.y_hat - self.y
    self.dW_out += np.outer(e, self.h_last)
    self.db_out += e
    dh = self.W_out.T @ e
    dc_later = np.zeros(self.hidden_size)
    for z, i, o, c in reversed(self.states):
        th = np.tanh(c)
        dc = dh * o * (1 - th ** 2) + dc_later
        gh_z = self.z.backward(dc * i)[1]
        gh_i = self.i.backward(dc * z)[1]
        gh_o = self.o.backward(dh * th)[1]
        dh = gh_z + gh_i + gh_o
        dc_later = dc


def update(self, eta):
    for g in (self.z, self.i, self.o):
        g.update(eta)
    self.W_out -= eta * self.dW_out
    self.b_out -= eta * self.db_out


LSTM.zero_grad = zero_grad
LSTM.backward = backward
LSTM.update = update


# %% ex07-code-1
def generate_data(T):
    while True:
        positive = np.random.random() < 0.5
        x = np.random.normal(0.0, 0.2 ** 0.5, (T, 1))
        x[0, 0] = 1.0 if positive else -1.0
        y = np.array([1.0]) if positive else np.array([0.0])
        yield x, y


# %% ex07-experiment-1
T = 10
net = LSTM(8, 1)
gen = generate_data(T)
for k in range(300):
    x, y = next(gen)
    net.zero_grad()
    net.forward(x, y)
    net.backward()
    net.update(1.0)
ok = 0
for k in range(500):
    x, y = next(gen)
    net.forward(x, y)
    ok += (net.y_hat[0] > 0.5) == (y[0] == 1.0)
print("BPTT accuracy:", ok / 500)


# %% ex09-code-1
class LSTM_RTRL:
    def __init__(self, hidden_size, input_size, output_size=1):
        H, D, K = hidden_size, input_size, output_size
        self.H, self.D = H, D
        self.W_z = np.random.uniform(-0.01, 0.01, (H, D))
        self.R_z = np.random.uniform(-0.01, 0.01, (H, H))
        self.b_z = np.random.uniform(-0.01, 0.01, H)
        self.W_i = np.random.uniform(-0.01, 0.01, (H, D))
        self.R_i = np.random.uniform(-0.01, 0.01, (H, H))
        self.b_i = np.random.uniform(-0.01, 0.01, H)
        self.W_o = np.random.uniform(-0.01, 0.01, (H, D))
        self.R_o = np.random.uniform(-0.01, 0.01, (H, H))
        self.b_o = np.random.uniform(-0.01, 0.01, H)
        self.W_y = np.random.uniform(-0.01, 0.01, (K, H))
        self.b_y = np.random.uniform(-0.01, 0.01, K)
        self.zero_grad()
        self.reset()

    def all_params(self):
        return [self.W_z, self.R_z, self.b_z, self.W_i, self.R_i, self.b_i,
                self.W_o, self.R_o, self.b_o, self.W_y, self.b_y]

    def all_grads(self):
        return [self.dW_z, self.dR_z, self.db_z, self.dW_i, self.dR_i, self.db_i,
                self.dW_o, self.dR_o, self.db_o, self.dW_y, self.db_y]

    def reset(self):
        self.h = np.zeros(self.H)
        self.c = np.zeros(self.H)
        self.S_Wz, self.S_Rz, self.S_bz = np.zeros((self.H, self.D)), np.zeros((self.H, self.H)), np.zeros(self.H)
        self.S_Wi, self.S_Ri, self.S_bi = np.zeros((self.H, self.D)), np.zeros((self.H, self.H)), np.zeros(self.H)

    def zero_grad(self):
        self.dW_z, self.dR_z, self.db_z = np.zeros_like(self.W_z), np.zeros_like(self.R_z), np.zeros_like(self.b_z)
        self.dW_i, self.dR_i, self.db_i = np.zeros_like(self.W_i), np.zeros_like(self.R_i), np.zeros_like(self.b_i)
        self.dW_o, self.dR_o, self.db_o = np.zeros_like(self.W_o), np.zeros_like(self.R_o), np.zeros_like(self.b_o)
        self.dW_y, self.db_y = np.zeros_like(self.W_y), np.zeros_like(self.b_y)

    def update(self, eta):
        for p, g in zip(self.all_params(), self.all_grads()):
            p -= eta * g


# %% ex10-code-1
def forward(self, x_t, y=None):
    h_prev = self.h
    z = tanh(self.W_z @ x_t + self.R_z @ h_prev + self.b_z)
    i = sigmoid(self.W_i @ x_t + self.R_i @ h_prev + self.b_i)
    o = sigmoid(self.W_o @ x_t + self.R_o @ h_prev + self.b_o)
    self.c = self.c + z * i
    gz = i * (1 - z ** 2)
    gi = z * i * (1 - i)
    self.S_Wz += np.outer(gz, x_t)
    self.S_Rz += np.outer(gz, h_prev)
    self.S_bz += gz
    self.S_Wi += np.outer(gi, x_t)
    self.S_Ri += np.outer(gi, h_prev)
    self.S_bi += gi
    th = np.tanh(self.c)
    self.h = th * o
    y_hat = sigmoid(self.W_y @ self.h + self.b_y)
    if y is not None:
        e = y_hat - y
        self.dW_y += np.outer(e, self.h)
        self.db_y += e
        dh = self.W_y.T @ e
        dc = dh * o * (1 - th ** 2)
        self.dW_z += dc[:, None] * self.S_Wz
        self.dR_z += dc[:, None] * self.S_Rz
        self.db_z += dc * self.S_bz
        self.dW_i += dc[:, None] * self.S_Wi
        self.dR_i += dc[:, None] * self.S_Ri
        self.db_i += dc * self.S_bi
        go = dh * th * o * (1 - o)
        self.dW_o += np.outer(go, x_t)
        self.dR_o += np.outer(go, h_prev)
        self.db_o += go
    return y_hat


LSTM_RTRL.forward = forward


# %% ex11-experiment-1
for T in (1, 2, 4, 8):
    net = LSTM_RTRL(8, 1)
    gen = generate_data(T)
    for k in range(250):
        x, y = next(gen)
        net.zero_grad()
        net.reset()
        for t in range(T):
            net.forward(x[t], y if t == T - 1 else None)
        net.update(0.5)
    ok = 0
    for k in range(300):
        x, y = next(gen)
        net.reset()
        for t in range(T):
            out = net.forward(x[t])
        ok += (out[0] > 0.5) == (y[0] == 1.0)
    print("RTRL, T =", T, "accuracy", ok / 300)
