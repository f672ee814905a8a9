"""alice: correct: the template's interface, loops over units instead of outer products.

One student's notebook: the template cells they replaced (`# %% <cell id>`) and the cells they added
(`# %% new cell <id>`), in notebook order. Built into a notebook by submissions/build.py.
"""

# %% ex00-setup-1
import time

import matplotlib.pyplot as plt
import numpy as np

np.random.seed(0xDEADBEEF)


# %% ex02-code-1
# Exercise 2
class Gate:
    def __init__(self, input_size, hidden_size, activation, activation_derivative):
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.act = activation
        self.act_deriv = activation_derivative
        # parameters, uniformly distributed in [-0.01, 0.01]
        self.W = np.random.uniform(-0.01, 0.01, size=(hidden_size, input_size))
        self.R = np.random.uniform(-0.01, 0.01, size=(hidden_size, hidden_size))
        self.b = np.random.uniform(-0.01, 0.01, size=hidden_size)
        # gradients
        self.dW = np.zeros((hidden_size, input_size))
        self.dR = np.zeros((hidden_size, hidden_size))
        self.db = np.zeros(hidden_size)
        # one entry per forward call: (x, h, pre-activation); backward takes them from the end
        self.memory = []

    def forward(self, x, h):
        pre = np.dot(self.W, x) + np.dot(self.R, h) + self.b
        self.memory.append((x, h, pre))
        return self.act(pre)


# %% ex04-code-1
# Exercise 4
def zero_grad(self):
    self.dW = np.zeros_like(self.W)
    self.dR = np.zeros_like(self.R)
    self.db = np.zeros_like(self.b)


def backward(self, grad_a):
    # most recent forward call that was not undone yet
    x, h, pre = self.memory.pop()
    delta = grad_a * self.act_deriv(pre)   # dL/ds, elementwise
    grad_x = np.zeros(self.input_size)
    grad_h = np.zeros(self.hidden_size)
    for n in range(self.hidden_size):      # row n of W and R only sees delta[n]
        self.dW[n] += delta[n] * x
        self.dR[n] += delta[n] * h
        self.db[n] += delta[n]
        grad_x += delta[n] * self.W[n]
        grad_h += delta[n] * self.R[n]
    return grad_x, grad_h


def update(self, eta):
    self.W = self.W - eta * self.dW
    self.R = self.R - eta * self.dR
    self.b = self.b - eta * self.db


Gate.zero_grad = zero_grad
Gate.backward = backward
Gate.update = update


# %% ex05-code-1
# Exercise 5
class LSTM:
    def __init__(self, input_size, hidden_size, output_size=1):
        self.hidden_size = hidden_size
        self.z = Gate(input_size, hidden_size, tanh, tanh_derivative)        # cell input
        self.i = Gate(input_size, hidden_size, sigmoid, sigmoid_derivative)  # input gate
        self.o = Gate(input_size, hidden_size, sigmoid, sigmoid_derivative)  # output gate
        self.W_y = np.random.uniform(-0.01, 0.01, size=(output_size, hidden_size))
        self.b_y = np.random.uniform(-0.01, 0.01, size=output_size)
        self.dW_y = np.zeros((output_size, hidden_size))
        self.db_y = np.zeros(output_size)

    def forward(self, x, y):
        T = x.shape[0]
        # a new sequence: empty the gates' memories and start from the zero state
        for gate in [self.z, self.i, self.o]:
            gate.memory = []
        h = np.zeros(self.hidden_size)
        c = np.zeros(self.hidden_size)
        self.z_list, self.i_list, self.o_list, self.c_list = [], [], [], []
        for t in range(T):
            z_t = self.z.forward(x[t], h)
            i_t = self.i.forward(x[t], h)
            o_t = self.o.forward(x[t], h)
            c = c + z_t * i_t
            h = np.tanh(c) * o_t
            self.z_list.append(z_t)
            self.i_list.append(i_t)
            self.o_list.append(o_t)
            self.c_list.append(c)
        self.h_T = h
        self.y_hat = sigmoid(np.dot(self.W_y, h) + self.b_y)
        self.y = y
        loss = -np.sum(y * np.log(self.y_hat) + (1 - y) * np.log(1 - self.y_hat))
        return float(loss)


# %% ex06-code-1
# Exercise 6
def zero_grad(self):
    self.z.zero_grad()
    self.i.zero_grad()
    self.o.zero_grad()
    self.dW_y = np.zeros_like(self.W_y)
    self.db_y = np.zeros_like(self.b_y)


def backward(self):
    T = len(self.c_list)
    e = self.y_hat - self.y                  # dL/d(W_y h + b_y)
    self.dW_y += np.outer(e, self.h_T)
    self.db_y += e
    dh = np.dot(self.W_y.T, e)               # dL/dh(T)
    dc_next = np.zeros(self.hidden_size)     # dL/dc(t+1)
    for t in range(T - 1, -1, -1):
        tc = np.tanh(self.c_list[t])
        dc = dh * self.o_list[t] * (1 - tc ** 2) + dc_next
        dz = dc * self.i_list[t]
        di = dc * self.z_list[t]
        do = dh * tc
        # the gates add their own gradients and give back their part of dL/dh(t-1)
        _, dh_from_z = self.z.backward(dz)
        _, dh_from_i = self.i.backward(di)
        _, dh_from_o = self.o.backward(do)
        dh = dh_from_z + dh_from_i + dh_from_o
        dc_next = dc


def update(self, eta):
    for gate in [self.z, self.i, self.o]:
        gate.update(eta)
    self.W_y = self.W_y - eta * self.dW_y
    self.b_y = self.b_y - eta * self.db_y


LSTM.zero_grad = zero_grad
LSTM.backward = backward
LSTM.update = update


# %% ex07-code-1
def generate_data(T):
    while True:
        if np.random.rand() < 0.5:
            first, label = 1.0, 1.0     # class 1
        else:
            first, label = -1.0, 0.0    # class 2
        x = np.random.normal(0.0, np.sqrt(0.2), size=(T, 1))   # variance 0.2
        x[0, 0] = first
        yield x, np.array([label])


# %% ex07-experiment-1
# Exercise 7: T = 100 takes far too long with my loops, so this is a smaller run.
T = 10
hidden_size = 8
eta = 1.0
n_train = 300

lstm = LSTM(1, hidden_size)
gen = generate_data(T)
losses = []
t0 = time.time()
for n in range(n_train):
    x, y = next(gen)
    lstm.zero_grad()
    losses.append(lstm.forward(x, y))
    lstm.backward()
    lstm.update(eta)
    if (n + 1) % 100 == 0:
        print(f"{n + 1} sequences, mean loss of the last 100: {np.mean(losses[-100:]):.4f}")
print(f"training took {time.time() - t0:.1f} s")

correct = 0
for n in range(500):
    x, y = next(gen)
    lstm.forward(x, y)
    if (lstm.y_hat[0] > 0.5) == (y[0] == 1):
        correct += 1
print("test accuracy:", correct / 500)


# %% ex09-code-1
# Exercise 9
class LSTM_RTRL:
    def __init__(self, input_size, hidden_size, output_size=1):
        D, I, K = input_size, hidden_size, output_size
        self.D, self.I, self.K = D, I, K
        u = lambda *shape: np.random.uniform(-0.01, 0.01, size=shape)
        self.W_z, self.R_z, self.b_z = u(I, D), u(I, I), u(I)
        self.W_i, self.R_i, self.b_i = u(I, D), u(I, I), u(I)
        self.W_o, self.R_o, self.b_o = u(I, D), u(I, I), u(I)
        self.W_y, self.b_y = u(K, I), u(K)
        self.zero_grad()
        self.reset()

    def reset(self):
        self.h = np.zeros(self.I)
        self.c = np.zeros(self.I)
        # sensitivities dc_n / dtheta[n, k] of the z and i parameters (same shapes as the parameters)
        self.sW_z, self.sR_z, self.sb_z = np.zeros((self.I, self.D)), np.zeros((self.I, self.I)), np.zeros(self.I)
        self.sW_i, self.sR_i, self.sb_i = np.zeros((self.I, self.D)), np.zeros((self.I, self.I)), np.zeros(self.I)

    def zero_grad(self):
        self.dW_z, self.dR_z, self.db_z = np.zeros_like(self.W_z), np.zeros_like(self.R_z), np.zeros_like(self.b_z)
        self.dW_i, self.dR_i, self.db_i = np.zeros_like(self.W_i), np.zeros_like(self.R_i), np.zeros_like(self.b_i)
        self.dW_o, self.dR_o, self.db_o = np.zeros_like(self.W_o), np.zeros_like(self.R_o), np.zeros_like(self.b_o)
        self.dW_y, self.db_y = np.zeros_like(self.W_y), np.zeros_like(self.b_y)

    def update(self, eta):
        self.W_z -= eta * self.dW_z
        self.R_z -= eta * self.dR_z
        self.b_z -= eta * self.db_z
        self.W_i -= eta * self.dW_i
        self.R_i -= eta * self.dR_i
        self.b_i -= eta * self.db_i
        self.W_o -= eta * self.dW_o
        self.R_o -= eta * self.dR_o
        self.b_o -= eta * self.db_o
        self.W_y -= eta * self.dW_y
        self.b_y -= eta * self.db_y


# %% ex10-code-1
# Exercise 10
def forward(self, x_t, y=None):
    h_prev = self.h
    s_z = self.W_z @ x_t + self.R_z @ h_prev + self.b_z
    s_i = self.W_i @ x_t + self.R_i @ h_prev + self.b_i
    s_o = self.W_o @ x_t + self.R_o @ h_prev + self.b_o
    z = np.tanh(s_z)
    i = sigmoid(s_i)
    o = sigmoid(s_o)
    self.c = self.c + z * i

    # sensitivities: c_n only depends on row n of the z and i parameters
    dc_dsz = i * (1 - z ** 2)
    dc_dsi = z * i * (1 - i)
    for n in range(self.I):
        self.sW_z[n] += dc_dsz[n] * x_t
        self.sW_i[n] += dc_dsi[n] * x_t
        self.sR_z[n] += dc_dsz[n] * h_prev
        self.sR_i[n] += dc_dsi[n] * h_prev
        self.sb_z[n] += dc_dsz[n]
        self.sb_i[n] += dc_dsi[n]

    tanh_c = np.tanh(self.c)
    self.h = tanh_c * o
    y_hat = sigmoid(self.W_y @ self.h + self.b_y)

    if y is not None:
        e = y_hat - y
        self.dW_y += np.outer(e, self.h)
        self.db_y += e
        dh = self.W_y.T @ e
        dc = dh * o * (1 - tanh_c ** 2)
        for n in range(self.I):
            self.dW_z[n] += dc[n] * self.sW_z[n]
            self.dR_z[n] += dc[n] * self.sR_z[n]
            self.db_z[n] += dc[n] * self.sb_z[n]
            self.dW_i[n] += dc[n] * self.sW_i[n]
            self.dR_i[n] += dc[n] * self.sR_i[n]
            self.db_i[n] += dc[n] * self.sb_i[n]
        # the output gate only gets the gradient of this step
        delta_o = dh * tanh_c * o * (1 - o)
        self.dW_o += np.outer(delta_o, x_t)
        self.dR_o += np.outer(delta_o, h_prev)
        self.db_o += delta_o
    return y_hat


LSTM_RTRL.forward = forward


# %% ex11-experiment-1
# Exercise 11: RTRL for growing T (hidden_size = 8 and short runs, my loops are slow)
hidden_size = 8
for T in [1, 2, 4, 6]:
    model = LSTM_RTRL(1, hidden_size)
    gen = generate_data(T)
    start = time.time()
    for n in range(150):
        x, y = next(gen)
        model.zero_grad()
        model.reset()
        for t in range(T):
            model.forward(x[t], y if t == T - 1 else None)
        model.update(0.5)
    seconds = time.time() - start
    correct = 0
    for n in range(200):
        x, y = next(gen)
        model.reset()
        for t in range(T):
            y_hat = model.forward(x[t])
        correct += int((y_hat[0] > 0.5) == (y[0] == 1))
    print(f"T = {T}: {seconds:.1f} s for 150 sequences, accuracy {correct / 200:.2f}")
