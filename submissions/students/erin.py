"""erin: correct: vectorised, noisy training cells (%matplotlib inline, progress prints, plots, a leftover cell that
raises).

One student's notebook: the template cells they replaced (`# %% <cell id>`) and the cells they added
(`# %% new cell <id>`), in notebook order. Built into a notebook by submissions/build.py.
"""

# %% ex00-setup-1
import time

import matplotlib.pyplot as plt
import numpy as np

# %matplotlib inline
np.random.seed(0xDEADBEEF)


# %% ex02-code-1
class Gate:
    def __init__(self, input_size, hidden_size, activation, activation_derivative):
        self.activation = activation
        self.activation_derivative = activation_derivative
        self.W = np.random.uniform(low=-0.01, high=0.01, size=(hidden_size, input_size))
        self.R = np.random.uniform(low=-0.01, high=0.01, size=(hidden_size, hidden_size))
        self.b = np.random.uniform(low=-0.01, high=0.01, size=(hidden_size,))
        self.dW = np.zeros(self.W.shape)
        self.dR = np.zeros(self.R.shape)
        self.db = np.zeros(self.b.shape)
        self.cache = []

    def forward(self, x, h):
        s = self.W @ x + self.R @ h + self.b
        self.cache.append({"x": x, "h": h, "s": s})
        return self.activation(s)


# %% ex04-code-1
def zero_grad(self):
    self.dW = np.zeros(self.W.shape)
    self.dR = np.zeros(self.R.shape)
    self.db = np.zeros(self.b.shape)


def backward(self, grad_a):
    step = self.cache.pop()
    delta = grad_a * self.activation_derivative(step["s"])
    self.dW += delta[:, None] * step["x"][None, :]
    self.dR += delta[:, None] * step["h"][None, :]
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
    def __init__(self, input_size, hidden_size, output_size=1):
        self.I = hidden_size
        self.z = Gate(input_size, hidden_size, tanh, tanh_derivative)
        self.i = Gate(input_size, hidden_size, sigmoid, sigmoid_derivative)
        self.o = Gate(input_size, hidden_size, sigmoid, sigmoid_derivative)
        self.W_y = np.random.uniform(low=-0.01, high=0.01, size=(output_size, hidden_size))
        self.b_y = np.random.uniform(low=-0.01, high=0.01, size=(output_size,))
        self.dW_y = np.zeros(self.W_y.shape)
        self.db_y = np.zeros(self.b_y.shape)

    def forward(self, x, y):
        for g in (self.z, self.i, self.o):
            g.cache = []
        h = np.zeros(self.I)
        c = np.zeros(self.I)
        self.states = []
        for x_t in x:
            z = self.z.forward(x_t, h)
            i = self.i.forward(x_t, h)
            o = self.o.forward(x_t, h)
            c = c + z * i
            h = np.tanh(c) * o
            self.states.append((z, i, o, c))
        self.h_T = h
        self.y_hat = sigmoid(self.W_y @ h + self.b_y)
        self.y_true = y
        return float(-(y * np.log(self.y_hat) + (1 - y) * np.log(1 - self.y_hat)).sum())


# %% ex06-code-1
def zero_grad(self):
    for g in (self.z, self.i, self.o):
        g.zero_grad()
    self.dW_y = np.zeros(self.W_y.shape)
    self.db_y = np.zeros(self.b_y.shape)


def backward(self):
    err = self.y_hat - self.y_true
    self.dW_y += np.outer(err, self.h_T)
    self.db_y += err
    dh = self.W_y.T @ err
    dc = np.zeros(self.I)
    for z, i, o, c in self.states[::-1]:
        tanh_c = np.tanh(c)
        dc += dh * o * (1 - tanh_c ** 2)
        dh_z = self.z.backward(dc * i)[1]
        dh_i = self.i.backward(dc * z)[1]
        dh_o = self.o.backward(dh * tanh_c)[1]
        dh = dh_z + dh_i + dh_o


def update(self, eta):
    for g in (self.z, self.i, self.o):
        g.update(eta)
    self.W_y -= eta * self.dW_y
    self.b_y -= eta * self.db_y


LSTM.zero_grad = zero_grad
LSTM.backward = backward
LSTM.update = update


# %% ex07-code-1
def generate_data(T):
    """2-sequence problem: class 1 starts with +1 (target 1), class 2 with -1 (target 0)."""
    std = np.sqrt(0.2)
    while True:
        cls1 = np.random.uniform() < 0.5
        x = np.random.normal(0, std, size=T)
        x[0] = 1.0 if cls1 else -1.0
        yield x.reshape(T, 1), np.array([1.0 if cls1 else 0.0])


# %% ex07-experiment-1
# %matplotlib inline
T = 10
hidden_size = 16
eta = 1.0
n_train = 3000

model = LSTM(1, hidden_size)
gen = generate_data(T)
losses = []
start = time.time()
for n in range(n_train):
    x, y = next(gen)
    model.zero_grad()
    loss = model.forward(x, y)
    model.backward()
    model.update(eta)
    losses.append(loss)
    if n % 100 == 0:
        print(f"[{n:5d}/{n_train}] loss {loss:.4f}  running mean {np.mean(losses[-50:]):.4f}  "
              f"|W_y| {np.abs(model.W_y).max():.3f}  ({time.time() - start:.1f} s)")

print("evaluating ...")
correct = 0
for n in range(1000):
    x, y = next(gen)
    model.forward(x, y)
    correct += int((model.y_hat[0] > 0.5) == (y[0] == 1.0))
    if n % 200 == 0:
        print("  tested", n)
print(f"accuracy at T = {T}: {correct / 1000:.3f}")

plt.figure(figsize=(8, 3))
plt.plot(losses, alpha=0.3, label="loss")
plt.plot(np.convolve(losses, np.ones(50) / 50, mode="valid"), label="running mean")
plt.legend()
plt.show()


# %% new cell accuracy-plot
# accuracy during training
plt.plot(accuracy_history)
plt.show()


# %% ex09-code-1
class LSTM_RTRL:
    def __init__(self, input_size, hidden_size, output_size=1):
        self.D, self.I, self.K = input_size, hidden_size, output_size
        shapes = {"W": (hidden_size, input_size), "R": (hidden_size, hidden_size), "b": (hidden_size,)}
        for g in "zio":
            for kind, shape in shapes.items():
                setattr(self, f"{kind}_{g}", np.random.uniform(low=-0.01, high=0.01, size=shape))
        self.W_y = np.random.uniform(low=-0.01, high=0.01, size=(output_size, hidden_size))
        self.b_y = np.random.uniform(low=-0.01, high=0.01, size=(output_size,))
        self.names = [f"{kind}_{g}" for g in "zio" for kind in "WRb"] + ["W_y", "b_y"]
        self.zero_grad()
        self.reset()

    def reset(self):
        self.h = np.zeros(self.I)
        self.c = np.zeros(self.I)
        self.sens = {f"{kind}_{g}": np.zeros_like(getattr(self, f"{kind}_{g}")) for g in "zi" for kind in "WRb"}

    def zero_grad(self):
        for name in self.names:
            setattr(self, "d" + name, np.zeros_like(getattr(self, name)))

    def update(self, eta):
        for name in self.names:
            setattr(self, name, getattr(self, name) - eta * getattr(self, "d" + name))


# %% ex10-code-1
def forward(self, x_t, y=None):
    h_prev = self.h
    pre = {g: getattr(self, "W_" + g) @ x_t + getattr(self, "R_" + g) @ h_prev + getattr(self, "b_" + g) for g in "zio"}
    z, i, o = np.tanh(pre["z"]), sigmoid(pre["i"]), sigmoid(pre["o"])
    self.c = self.c + z * i
    for g, dc_ds in (("z", i * (1 - z ** 2)), ("i", z * i * (1 - i))):
        self.sens["W_" + g] += dc_ds[:, None] * x_t[None, :]
        self.sens["R_" + g] += dc_ds[:, None] * h_prev[None, :]
        self.sens["b_" + g] += dc_ds
    tanh_c = np.tanh(self.c)
    self.h = tanh_c * o
    y_hat = sigmoid(self.W_y @ self.h + self.b_y)
    if y is not None:
        err = y_hat - y
        self.dW_y += np.outer(err, self.h)
        self.db_y += err
        dh = self.W_y.T @ err
        dc = dh * o * (1 - tanh_c ** 2)
        for name, s in self.sens.items():
            grad = getattr(self, "d" + name)
            grad += (dc[:, None] * s) if s.ndim == 2 else dc * s
        delta_o = dh * tanh_c * o * (1 - o)
        self.dW_o += np.outer(delta_o, x_t)
        self.dR_o += np.outer(delta_o, h_prev)
        self.db_o += delta_o
    return y_hat


LSTM_RTRL.forward = forward


# %% ex11-experiment-1
T_values = list(range(1, 9))
accuracies = []
for T in T_values:
    net = LSTM_RTRL(1, 16)
    gen = generate_data(T)
    t0 = time.time()
    for n in range(600):
        x, y = next(gen)
        net.zero_grad()
        net.reset()
        for t in range(T):
            net.forward(x[t], y if t == T - 1 else None)
        net.update(0.5)
        if n % 100 == 0:
            print(f"  T={T} sequence {n}")
    correct = 0
    for n in range(500):
        x, y = next(gen)
        net.reset()
        for t in range(T):
            y_hat = net.forward(x[t])
        correct += int((y_hat[0] > 0.5) == (y[0] == 1.0))
    accuracies.append(correct / 500)
    print(f"T = {T}: accuracy {accuracies[-1]:.3f} ({time.time() - t0:.1f} s)")

plt.plot(T_values, accuracies, "o-")
plt.xlabel("T")
plt.ylabel("test accuracy")
plt.show()
