"""bob: correct: time index passed around, Gate(I, D, T, af, af_der), LSTM(D, I, K, T), activations stored per step.

One student's notebook: the template cells they replaced (`# %% <cell id>`) and the cells they added
(`# %% new cell <id>`), in notebook order. Built into a notebook by submissions/build.py.
"""

# %% ex00-setup-1
import time

import matplotlib.pyplot as plt
import numpy as np

np.random.seed(0xDEADBEEF)


# %% ex02-code-1
def init_weights(*shape):
    """uniform in [-0.01, 0.01]"""
    return np.random.uniform(-0.01, 0.01, shape)


class Gate:
    def __init__(self, I, D, T, af, af_der):
        # I: number of hidden units, D: input dimension, T: sequence length
        self.I, self.D, self.T = I, D, T
        self.af = af            # activation function
        self.af_der = af_der    # its derivative (takes the pre-activation)
        self.W = init_weights(I, D)
        self.R = init_weights(I, I)
        self.b = init_weights(I)
        self.dW = np.zeros((I, D))
        self.dR = np.zeros((I, I))
        self.db = np.zeros(I)
        # pre-activations and activations of every time step
        self.s = np.zeros((T, I))
        self.a = np.zeros((T, I))

    def forward(self, x, h, t):
        self.s[t] = self.W @ x + self.R @ h + self.b
        self.a[t] = self.af(self.s[t])
        return self.a[t]


# %% ex04-code-1
def zero_grad(self):
    self.dW[:] = 0
    self.dR[:] = 0
    self.db[:] = 0


def backward(self, grad_a, t, x, h):
    """grad_a = dL/da(t); x and h are the inputs of the forward call at time t"""
    delta = grad_a * self.af_der(self.s[t])
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
    def __init__(self, D, I, K, T):
        self.D, self.I, self.K, self.T = D, I, K, T
        self.z = Gate(I, D, T, tanh, tanh_derivative)
        self.i = Gate(I, D, T, sigmoid, sigmoid_derivative)
        self.o = Gate(I, D, T, sigmoid, sigmoid_derivative)
        self.W_y = init_weights(K, I)
        self.b_y = init_weights(K)
        self.dW_y = np.zeros((K, I))
        self.db_y = np.zeros(K)
        # h[t], c[t]: states after time step t; h0 is the zero initial state
        self.h = np.zeros((T, I))
        self.c = np.zeros((T, I))
        self.h0 = np.zeros(I)

    def forward(self, x, y):
        self.x, self.y = x, y
        self.h[:] = 0
        self.c[:] = 0
        for t in range(self.T):
            h_prev = self.h[t - 1] if t > 0 else self.h0
            c_prev = self.c[t - 1] if t > 0 else self.h0
            z = self.z.forward(x[t], h_prev, t)
            i = self.i.forward(x[t], h_prev, t)
            o = self.o.forward(x[t], h_prev, t)
            self.c[t] = c_prev + z * i
            self.h[t] = np.tanh(self.c[t]) * o
        self.y_hat = sigmoid(self.W_y @ self.h[self.T - 1] + self.b_y)
        L = -(y * np.log(self.y_hat) + (1 - y) * np.log(1 - self.y_hat))
        return L.sum()


# %% ex06-code-1
def zero_grad(self):
    for gate in (self.z, self.i, self.o):
        gate.zero_grad()
    self.dW_y[:] = 0
    self.db_y[:] = 0


def backward(self):
    T = self.T
    e = self.y_hat - self.y
    self.dW_y += np.outer(e, self.h[T - 1])
    self.db_y += e
    dh = self.W_y.T @ e       # dL/dh(T)
    dc = np.zeros(self.I)     # dL/dc(t+1), carried back through the cell
    for t in reversed(range(T)):
        h_prev = self.h[t - 1] if t > 0 else self.h0
        tanh_c = np.tanh(self.c[t])
        dc = dc + dh * self.o.a[t] * (1 - tanh_c ** 2)
        _, dh_z = self.z.backward(dc * self.i.a[t], t, self.x[t], h_prev)
        _, dh_i = self.i.backward(dc * self.z.a[t], t, self.x[t], h_prev)
        _, dh_o = self.o.backward(dh * tanh_c, t, self.x[t], h_prev)
        dh = dh_z + dh_i + dh_o


def update(self, eta):
    for gate in (self.z, self.i, self.o):
        gate.update(eta)
    self.W_y -= eta * self.dW_y
    self.b_y -= eta * self.db_y


LSTM.zero_grad = zero_grad
LSTM.backward = backward
LSTM.update = update


# %% ex07-code-1
def generate_data(T):
    while True:
        y = np.random.randint(2)                  # 1: first input +1, 0: first input -1
        x = np.sqrt(0.2) * np.random.randn(T, 1)  # noise with variance 0.2
        x[0, 0] = 2 * y - 1
        yield x, np.array([float(y)])


# %% ex07-experiment-1
T = 10
I = 8
lstm = LSTM(1, I, 1, T)
data = generate_data(T)
eta = 0.5
batch = 10
for step in range(30):    # 300 sequences
    lstm.zero_grad()
    total = 0
    for _ in range(batch):
        x, y = next(data)
        total += lstm.forward(x, y)
        lstm.backward()
    lstm.update(eta / batch)
    if step % 10 == 0:
        print(step, total / batch)

hits = 0
for _ in range(500):
    x, y = next(data)
    lstm.forward(x, y)
    hits += (lstm.y_hat[0] > 0.5) == (y[0] > 0.5)
print("accuracy", hits / 500)


# %% ex09-code-1
NAMES = ["W_z", "R_z", "b_z", "W_i", "R_i", "b_i", "W_o", "R_o", "b_o", "W_y", "b_y"]


class LSTM_RTRL:
    def __init__(self, D, I, K=1):
        self.D, self.I, self.K = D, I, K
        self.W_z, self.R_z, self.b_z = init_weights(I, D), init_weights(I, I), init_weights(I)
        self.W_i, self.R_i, self.b_i = init_weights(I, D), init_weights(I, I), init_weights(I)
        self.W_o, self.R_o, self.b_o = init_weights(I, D), init_weights(I, I), init_weights(I)
        self.W_y, self.b_y = init_weights(K, I), init_weights(K)
        self.zero_grad()
        self.reset()

    def reset(self):
        self.h = np.zeros(self.I)
        self.c = np.zeros(self.I)
        # S_...[n, k] = dc_n / dparam[n, k]
        self.S_W_z, self.S_R_z, self.S_b_z = np.zeros((self.I, self.D)), np.zeros((self.I, self.I)), np.zeros(self.I)
        self.S_W_i, self.S_R_i, self.S_b_i = np.zeros((self.I, self.D)), np.zeros((self.I, self.I)), np.zeros(self.I)

    def zero_grad(self):
        for name in NAMES:
            setattr(self, "d" + name, np.zeros_like(getattr(self, name)))

    def update(self, eta):
        for name in NAMES:
            setattr(self, name, getattr(self, name) - eta * getattr(self, "d" + name))


# %% ex10-code-1
def forward(self, x, t, y=None):
    if t == 0:      # first step of a new sequence
        self.reset()
    h_prev = self.h
    z = np.tanh(self.W_z @ x + self.R_z @ h_prev + self.b_z)
    i = sigmoid(self.W_i @ x + self.R_i @ h_prev + self.b_i)
    o = sigmoid(self.W_o @ x + self.R_o @ h_prev + self.b_o)
    self.c = self.c + z * i
    # sensitivities of c(t)
    dz = i * (1 - z ** 2)
    di = z * i * (1 - i)
    self.S_W_z += np.outer(dz, x)
    self.S_R_z += np.outer(dz, h_prev)
    self.S_b_z += dz
    self.S_W_i += np.outer(di, x)
    self.S_R_i += np.outer(di, h_prev)
    self.S_b_i += di
    tanh_c = np.tanh(self.c)
    self.h = tanh_c * o
    y_hat = sigmoid(self.W_y @ self.h + self.b_y)
    if y is not None:
        e = y_hat - y
        self.dW_y += np.outer(e, self.h)
        self.db_y += e
        dh = self.W_y.T @ e
        dc = dh * o * (1 - tanh_c ** 2)
        self.dW_z += dc[:, None] * self.S_W_z
        self.dR_z += dc[:, None] * self.S_R_z
        self.db_z += dc * self.S_b_z
        self.dW_i += dc[:, None] * self.S_W_i
        self.dR_i += dc[:, None] * self.S_R_i
        self.db_i += dc * self.S_b_i
        do = dh * tanh_c * o * (1 - o)
        self.dW_o += np.outer(do, x)
        self.dR_o += np.outer(do, h_prev)
        self.db_o += do
    return y_hat


LSTM_RTRL.forward = forward


# %% ex11-experiment-1
for T in [1, 3, 5, 8]:
    rtrl = LSTM_RTRL(1, 8)
    data = generate_data(T)
    start = time.time()
    for n in range(200):
        x, y = next(data)
        rtrl.zero_grad()
        for t in range(T):
            rtrl.forward(x[t], t, y if t == T - 1 else None)
        rtrl.update(0.5)
    hits = 0
    for n in range(300):
        x, y = next(data)
        for t in range(T):
            y_hat = rtrl.forward(x[t], t)
        hits += (y_hat[0] > 0.5) == (y[0] > 0.5)
    print("T =", T, "accuracy", hits / 300, "time", round(time.time() - start, 2))
