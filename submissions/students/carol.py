"""carol: correct: other names (U, bias, nabla_W_L, cell_input, V, g_V, Wz, g_Wz) and W stored transposed as D x I.

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
    """One LSTM module a = f(x W + U h + bias). W is stored input x hidden, so that x @ W works."""

    def __init__(self, input_size, hidden_size, activation, activation_derivative):
        self.f = activation
        self.f_prime = activation_derivative
        lim = 0.01
        self.W = np.random.uniform(-lim, lim, (input_size, hidden_size))
        self.U = np.random.uniform(-lim, lim, (hidden_size, hidden_size))
        self.bias = np.random.uniform(-lim, lim, hidden_size)
        self.nabla_W_L = np.zeros_like(self.W)
        self.nabla_U_L = np.zeros_like(self.U)
        self.nabla_bias_L = np.zeros_like(self.bias)
        self.tape = []   # (x, h, s) of every forward call

    def forward(self, x, h):
        s = x @ self.W + self.U @ h + self.bias
        self.tape.append((x, h, s))
        return self.f(s)


# %% ex04-code-1
def zero_grad(self):
    self.nabla_W_L = np.zeros_like(self.W)
    self.nabla_U_L = np.zeros_like(self.U)
    self.nabla_bias_L = np.zeros_like(self.bias)


def backward(self, grad_a):
    x, h, s = self.tape.pop()
    g = grad_a * self.f_prime(s)
    self.nabla_W_L += np.outer(x, g)   # D x I, like W
    self.nabla_U_L += np.outer(g, h)
    self.nabla_bias_L += g
    return self.W @ g, self.U.T @ g


def update(self, eta):
    self.W -= eta * self.nabla_W_L
    self.U -= eta * self.nabla_U_L
    self.bias -= eta * self.nabla_bias_L


Gate.zero_grad = zero_grad
Gate.backward = backward
Gate.update = update


# %% ex05-code-1
class LSTM:
    def __init__(self, input_size, hidden_size, output_size=1):
        self.n_hidden = hidden_size
        self.cell_input = Gate(input_size, hidden_size, tanh, tanh_derivative)
        self.input_gate = Gate(input_size, hidden_size, sigmoid, sigmoid_derivative)
        self.output_gate = Gate(input_size, hidden_size, sigmoid, sigmoid_derivative)
        self.V = np.random.uniform(-0.01, 0.01, (output_size, hidden_size))
        self.b_out = np.random.uniform(-0.01, 0.01, output_size)
        self.g_V = np.zeros_like(self.V)
        self.g_b_out = np.zeros_like(self.b_out)

    def gates(self):
        return [self.cell_input, self.input_gate, self.output_gate]

    def forward(self, x, y):
        for g in self.gates():
            g.tape = []
        hid = np.zeros(self.n_hidden)
        cell = np.zeros(self.n_hidden)
        self.trace = []
        for x_t in x:
            zt = self.cell_input.forward(x_t, hid)
            it = self.input_gate.forward(x_t, hid)
            ot = self.output_gate.forward(x_t, hid)
            cell = cell + zt * it
            hid = np.tanh(cell) * ot
            self.trace.append({"z": zt, "i": it, "o": ot, "cell": cell})
        self.last_hidden = hid
        self.p = sigmoid(self.V @ hid + self.b_out)
        self.target = y
        return float(-np.sum(y * np.log(self.p) + (1 - y) * np.log(1 - self.p)))


# %% ex06-code-1
def zero_grad(self):
    for g in self.gates():
        g.zero_grad()
    self.g_V = np.zeros_like(self.V)
    self.g_b_out = np.zeros_like(self.b_out)


def backward(self):
    err = self.p - self.target
    self.g_V += np.outer(err, self.last_hidden)
    self.g_b_out += err
    d_hid = self.V.T @ err
    d_cell = np.zeros(self.n_hidden)
    for step in reversed(self.trace):
        tc = np.tanh(step["cell"])
        d_cell = d_cell + d_hid * step["o"] * (1 - tc * tc)
        d_hid = (self.cell_input.backward(d_cell * step["i"])[1]
                 + self.input_gate.backward(d_cell * step["z"])[1]
                 + self.output_gate.backward(d_hid * tc)[1])


def update(self, eta):
    for g in self.gates():
        g.update(eta)
    self.V -= eta * self.g_V
    self.b_out -= eta * self.g_b_out


LSTM.zero_grad = zero_grad
LSTM.backward = backward
LSTM.update = update


# %% ex07-code-1
def generate_data(T):
    while True:
        cls = np.random.choice([1, 2])
        x = np.random.normal(loc=0.0, scale=np.sqrt(0.2), size=(T, 1))
        x[0, 0] = 1.0 if cls == 1 else -1.0
        yield x, np.array([1.0 if cls == 1 else 0.0])


# %% ex07-experiment-1
T = 8
net = LSTM(1, 8)
stream = generate_data(T)
for k in range(400):
    x, y = next(stream)
    net.zero_grad()
    net.forward(x, y)
    net.backward()
    net.update(1.0)
test = [next(stream) for _ in range(500)]
acc = np.mean([(net.forward(x, y) < np.log(2)) for x, y in test])
print(f"T={T}: accuracy {acc:.3f}")


# %% ex09-code-1
class LSTM_RTRL:
    """Weights stored like in my Gate: Wz is input x hidden (x @ Wz)."""

    def __init__(self, input_size, hidden_size, output_size=1):
        u = lambda *shape: np.random.uniform(-0.01, 0.01, shape)
        self.n_in, self.n_hidden = input_size, hidden_size
        self.Wz, self.Rz, self.bz = u(input_size, hidden_size), u(hidden_size, hidden_size), u(hidden_size)
        self.Wi, self.Ri, self.bi = u(input_size, hidden_size), u(hidden_size, hidden_size), u(hidden_size)
        self.Wo, self.Ro, self.bo = u(input_size, hidden_size), u(hidden_size, hidden_size), u(hidden_size)
        self.V, self.b_out = u(output_size, hidden_size), u(output_size)
        self.zero_grad()
        self.reset()

    def params(self):
        return ["Wz", "Rz", "bz", "Wi", "Ri", "bi", "Wo", "Ro", "bo", "V", "b_out"]

    def reset(self):
        self.hid = np.zeros(self.n_hidden)
        self.cell = np.zeros(self.n_hidden)
        self.sens = {name: np.zeros_like(getattr(self, name)) for name in ["Wz", "Rz", "bz", "Wi", "Ri", "bi"]}

    def zero_grad(self):
        for name in self.params():
            setattr(self, "g_" + name, np.zeros_like(getattr(self, name)))

    def update(self, eta):
        for name in self.params():
            setattr(self, name, getattr(self, name) - eta * getattr(self, "g_" + name))


# %% ex10-code-1
def forward(self, x_t, y=None):
    prev = self.hid
    zt = np.tanh(x_t @ self.Wz + self.Rz @ prev + self.bz)
    it = sigmoid(x_t @ self.Wi + self.Ri @ prev + self.bi)
    ot = sigmoid(x_t @ self.Wo + self.Ro @ prev + self.bo)
    self.cell = self.cell + zt * it
    for gate, dcds in (("z", it * (1 - zt * zt)), ("i", zt * it * (1 - it))):
        self.sens["W" + gate] += np.outer(x_t, dcds)     # input x hidden like W
        self.sens["R" + gate] += np.outer(dcds, prev)
        self.sens["b" + gate] += dcds
    tc = np.tanh(self.cell)
    self.hid = tc * ot
    p = sigmoid(self.V @ self.hid + self.b_out)
    if y is not None:
        err = p - y
        self.g_V += np.outer(err, self.hid)
        self.g_b_out += err
        d_hid = self.V.T @ err
        d_cell = d_hid * ot * (1 - tc * tc)
        for gate in ("z", "i"):
            getattr(self, "g_W" + gate)[...] += self.sens["W" + gate] * d_cell[None, :]
            getattr(self, "g_R" + gate)[...] += self.sens["R" + gate] * d_cell[:, None]
            getattr(self, "g_b" + gate)[...] += self.sens["b" + gate] * d_cell
        d_o = d_hid * tc * ot * (1 - ot)
        self.g_Wo += np.outer(x_t, d_o)
        self.g_Ro += np.outer(d_o, prev)
        self.g_bo += d_o
    return p


LSTM_RTRL.forward = forward


# %% ex11-experiment-1
for T in (1, 2, 4, 8):
    net = LSTM_RTRL(1, 8)
    stream = generate_data(T)
    for k in range(250):
        x, y = next(stream)
        net.zero_grad()
        net.reset()
        for t, x_t in enumerate(x):
            net.forward(x_t, y if t == T - 1 else None)
        net.update(0.5)
    right = 0
    for k in range(300):
        x, y = next(stream)
        net.reset()
        for x_t in x:
            p = net.forward(x_t)
        right += int((p[0] > 0.5) == (y[0] == 1.0))
    print(f"T={T}: accuracy {right / 300:.3f}")
