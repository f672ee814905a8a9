"""Generate the sample submissions and their expected results.

    python submissions/make_submissions.py          # (re)write submissions/*.ipynb and submissions/*.expected.json
    python submissions/make_submissions.py --check  # exit 1 if a checked-in file differs from what would be written

Every notebook starts from reference/template.ipynb (students download the template), with the code cells and the
written answers replaced by one student's work. Six students wrote correct solutions in different styles (BASES);
every other submission is one of them with one realistic bug (VARIANTS), written as text replacements in their
cells, so that a reviewer reads each bug as a small diff and the rest of the notebook stays that student's code.
An old text "FIRST LINES\n...\nLAST LINES" stands for the whole passage from the first to the last (long rewrites).

The expected results say what each bug SHOULD cost, not what the grader currently reports:
    full_marks      exercises that must keep full marks (all code exercises minus `lose` minus `free`)
    lose            exercises that must lose points
    failed_checks   check ids that must fail (at least these)
    diagnosis       check id -> a substring its message must contain (case-insensitive)
`free` (not written out) are exercises left unconstrained, where a bug legitimately cascades (a broken Gate inside
the LSTM) or where training may or may not still succeed with a slightly wrong gradient.
"""
import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE.parent / "reference" / "template.ipynb"
CODE_EXERCISES = (2, 4, 5, 6, 7, 9, 10, 11)
ALL_CHECKS = ("gate.shapes", "gate.init", "gate.forward", "gate.activation", "gate.backward_inputs",
              "gate.backward_params", "gate.finite_differences", "gate.zero_grad", "gate.update", "lstm.init",
              "lstm.loss", "lstm.state_reset", "lstm.bptt", "lstm.finite_differences", "lstm.accumulate",
              "lstm.update", "data.protocol", "data.distribution", "lstm.training", "rtrl.init", "rtrl.update",
              "rtrl.outputs", "rtrl.gradient", "rtrl.memory", "rtrl.training")


@dataclass
class Student:
    """A correct submission: template cell id -> the student's source, written answers, cells they added."""
    name: str
    description: str
    code: dict
    answers: dict
    extra: list = field(default_factory=list)  # (key, after template cell id, "code" | "markdown", source)


# ===================================================================================================== written answers

ANSWERS_A = {
    1: r"""With $\hat y(\tau) = \varphi(a(\tau))$ we get $\partial a(\tau)/\partial a(\tau-1) = R\,\mathrm{diag}(\varphi'(a(\tau-1)))$, so

$$\frac{\partial a(t)}{\partial a(s)} = \prod_{\tau=s+1}^{t} R\,\mathrm{diag}\big(\varphi'(a(\tau-1))\big).$$

Taking norms, $\|\partial a(t)/\partial a(s)\| \le (\|R\| \max|\varphi'|)^{t-s}$. If $\|R\|\max|\varphi'| < 1$ this goes to zero
exponentially in $t-s$; if the factors are larger than one it can blow up exponentially. The gradient of a late loss
w.r.t. an early input contains exactly this product, so the contribution of inputs far back is either negligible next
to the recent ones (vanishing) or the learning is unstable (exploding). The Jordan network therefore only learns
short lags.""",
    3: r"""With $\delta = \nabla_a L \odot \varphi'(s)$ (shape $I$):
$\nabla_W L = \delta x^\top$ ($I\times D$), $\nabla_R L = \delta h^\top$ ($I \times I$), $\nabla_b L = \delta$ ($I$),
$\nabla_x L = W^\top \delta$ ($D$), $\nabla_h L = R^\top\delta$ ($I$).
Over a sequence the same parameters are used at every step, so the parameter gradients are summed over $t$:
$\nabla_W L = \sum_t \delta(t) x(t)^\top$ etc., while $\nabla_x$ and $\nabla_h$ are per step.""",
    8: r"""Because the gates get $h(t-1)$ as an external input, $c_n(t) = c_n(t-1) + z_n(t) i_n(t)$ and $z_n, i_n$ only
depend on row $n$ of $W_z, R_z, b_z, W_i, R_i, b_i$. Differentiating gives the recursions in the exercise
($\partial z_n/\partial s = 1 - z_n^2$, $\partial i_n / \partial s = i_n(1-i_n)$). At step $T$,
$\partial L/\partial \theta[n,k] = \frac{\partial L}{\partial c_n(T)}\frac{\partial c_n(T)}{\partial\theta[n,k]}$ with
$\partial L/\partial c(T) = W_y^\top e \odot o(T) \odot (1 - \tanh^2 c(T))$. The output gate and output layer are not
carried through the cell, they only use the values at step $T$.

Cost: there are $I(D+I+1)$ sensitivities per gate, each updated in $O(1)$, so $O(I(D+I))$ time per step and
$O(I(D+I))$ memory, independent of $T$. Full RTRL needs $O(I^4)$ per step (and $O(I^3)$ memory); BPTT needs
$O(I^2)$ per step too but $O(TI)$ memory.""",
    11: r"""RTRL learned the task up to about $T=6$ in my small runs (a few hundred sequences each), after that I did not
train long enough. Per sequence RTRL and BPTT cost about the same here, but RTRL needs no memory of the sequence
and learns online. Because of the truncation it can only remember through the cell state, which is exactly what
this task needs.""",
}

ANSWERS_B = {
    1: r"""$a(t) = Wx(t) + R\varphi(a(t-1)) + b$, chain rule step by step:
$\frac{\partial a(t)}{\partial a(s)} = R\,\varphi'(a(t-1)) \cdot R\,\varphi'(a(t-2)) \cdots R\,\varphi'(a(s))$ ($t-s$ factors, $\varphi'$ as diagonal matrices).
Each factor has norm at most $\|R\|\,\|\varphi'\|_\infty$, so the product behaves like $\lambda^{t-s}$: vanishing for
$\lambda<1$, exploding for $\lambda>1$. Error signals from far in the past vanish, so the network never learns the
dependency (or training diverges).""",
    3: r"""$s = Wx + Rh + b$, $a = \varphi(s)$. $\delta := \partial L/\partial s = \nabla_a L \odot \varphi'(s)$.
$\partial L/\partial W = \delta x^T$, $\partial L/\partial R = \delta h^T$, $\partial L/\partial b = \delta$,
$\partial L/\partial x = W^T\delta$, $\partial L/\partial h = R^T \delta$. For a sequence: sum the weight gradients
over all time steps (shared weights).""",
    8: r"""Sensitivities $p_{nk}(t) = \partial c_n(t)/\partial w_{nk}$ follow from $c(t) = c(t-1) + z \odot i$ with $h(t-1)$
held constant. Gradient at $T$: $\partial L/\partial w_{nk} = \delta^c_n(T)\, p_{nk}(T)$. Output gate and $W_y$:
ordinary gradient at the last step. Complexity: $O(I(I+D))$ per time step and $O(I(I+D))$ storage (like BPTT per
step, but constant memory in $T$), compared to $O(I^4)$ for full RTRL.""",
    11: r"""Learned up to T = 8 with 200 sequences per T; longer T needs more sequences. RTRL is slower per step in
python but has constant memory.""",
}


# ===================================================================================================== alice
# The template's interface, written plainly: loops instead of outer products, lists as memories.

ALICE = Student("alice", "correct: the template's interface, loops over units instead of outer products", code={
    "ex02-code-1": '''# Exercise 2
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
        return self.act(pre)''',
    "ex04-code-1": '''# Exercise 4
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
Gate.update = update''',
    "ex05-code-1": '''# Exercise 5
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
        return float(loss)''',
    "ex06-code-1": '''# Exercise 6
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
LSTM.update = update''',
    "ex07-code-1": '''def generate_data(T):
    while True:
        if np.random.rand() < 0.5:
            first, label = 1.0, 1.0     # class 1
        else:
            first, label = -1.0, 0.0    # class 2
        x = np.random.normal(0.0, np.sqrt(0.2), size=(T, 1))   # variance 0.2
        x[0, 0] = first
        yield x, np.array([label])''',
    "ex07-experiment-1": '''# Exercise 7: T = 100 takes far too long with my loops, so this is a smaller run.
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
print("test accuracy:", correct / 500)''',
    "ex09-code-1": '''# Exercise 9
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
        self.b_y -= eta * self.db_y''',
    "ex10-code-1": '''# Exercise 10
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


LSTM_RTRL.forward = forward''',
    "ex11-experiment-1": '''# Exercise 11: RTRL for growing T (hidden_size = 8 and short runs, my loops are slow)
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
    print(f"T = {T}: {seconds:.1f} s for 150 sequences, accuracy {correct / 200:.2f}")''',
}, answers=ANSWERS_A)


# ===================================================================================================== bob
# A time index passed around: Gate(I, D, T, af, af_der), forward(x, h, t) storing self.a[t],
# backward(grad_a, t, x, h), LSTM(D, I, K, T) with the states stored per step; vectorised.

BOB = Student("bob", "correct: time index passed around, Gate(I, D, T, af, af_der), LSTM(D, I, K, T), "
              "activations stored per step", code={
    "ex02-code-1": '''def init_weights(*shape):
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
        return self.a[t]''',
    "ex04-code-1": '''def zero_grad(self):
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
Gate.update = update''',
    "ex05-code-1": '''class LSTM:
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
        return L.sum()''',
    "ex06-code-1": '''def zero_grad(self):
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
LSTM.update = update''',
    "ex07-code-1": '''def generate_data(T):
    while True:
        y = np.random.randint(2)                  # 1: first input +1, 0: first input -1
        x = np.sqrt(0.2) * np.random.randn(T, 1)  # noise with variance 0.2
        x[0, 0] = 2 * y - 1
        yield x, np.array([float(y)])''',
    "ex07-experiment-1": '''T = 10
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
print("accuracy", hits / 500)''',
    "ex09-code-1": '''NAMES = ["W_z", "R_z", "b_z", "W_i", "R_i", "b_i", "W_o", "R_o", "b_o", "W_y", "b_y"]


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
            setattr(self, name, getattr(self, name) - eta * getattr(self, "d" + name))''',
    "ex10-code-1": '''def forward(self, x, t, y=None):
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


LSTM_RTRL.forward = forward''',
    "ex11-experiment-1": '''for T in [1, 3, 5, 8]:
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
    print("T =", T, "accuracy", hits / 300, "time", round(time.time() - start, 2))''',
}, answers=ANSWERS_B)


# ===================================================================================================== carol
# Other names everywhere (U, bias, nabla_W_L, V, b_out, g_V, Wz, g_Wz), W stored transposed as D x I (x @ W).

CAROL = Student("carol", "correct: other names (U, bias, nabla_W_L, cell_input, V, g_V, Wz, g_Wz) and W stored "
                "transposed as D x I", code={
    "ex02-code-1": '''class Gate:
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
        return self.f(s)''',
    "ex04-code-1": '''def zero_grad(self):
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
Gate.update = update''',
    "ex05-code-1": '''class LSTM:
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
        return float(-np.sum(y * np.log(self.p) + (1 - y) * np.log(1 - self.p)))''',
    "ex06-code-1": '''def zero_grad(self):
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
LSTM.update = update''',
    "ex07-code-1": '''def generate_data(T):
    while True:
        cls = np.random.choice([1, 2])
        x = np.random.normal(loc=0.0, scale=np.sqrt(0.2), size=(T, 1))
        x[0, 0] = 1.0 if cls == 1 else -1.0
        yield x, np.array([1.0 if cls == 1 else 0.0])''',
    "ex07-experiment-1": '''T = 8
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
print(f"T={T}: accuracy {acc:.3f}")''',
    "ex09-code-1": '''class LSTM_RTRL:
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
            setattr(self, name, getattr(self, name) - eta * getattr(self, "g_" + name))''',
    "ex10-code-1": '''def forward(self, x_t, y=None):
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


LSTM_RTRL.forward = forward''',
    "ex11-experiment-1": '''for T in (1, 2, 4, 8):
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
    print(f"T={T}: accuracy {right / 300:.3f}")''',
}, answers=ANSWERS_A)


# ===================================================================================================== dave
# Methods defined as functions and attached, some in later cells; a helper and globals (INIT_RANGE, EPS) defined
# in a cell after the classes; a first, buggy Gate.backward replaced by a fixed one two cells later.

DAVE = Student("dave", "correct: methods attached in later cells (a first buggy backward replaced later), helper "
               "function and globals defined after the classes that use them", code={
    "ex02-code-1": '''class Gate:
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


Gate.forward = gate_forward''',
    "ex04-code-1": '''def gate_zero_grad(self):
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
Gate.update = gate_update''',
    "ex05-code-1": '''class LSTM:
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


LSTM.forward = lstm_forward''',
    "ex06-code-1": '''# (LSTM.update is defined further down, together with my helpers)
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
LSTM.backward = lstm_backward''',
    "ex07-code-1": '''def generate_data(T):
    while True:
        label = float(np.random.rand() < 0.5)
        x = np.random.normal(0, np.sqrt(0.2), (T, 1))
        x[0] = 1.0 if label else -1.0
        yield x, np.array([label])''',
    "ex07-experiment-1": '''T = 8
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
print("accuracy:", np.mean([model.forward(*s) < np.log(2) for s in (next(data) for _ in range(500))]))''',
    "ex09-code-1": '''class LSTM_RTRL:
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
            getattr(self, name)[...] -= eta * getattr(self, "d" + name)''',
    "ex10-code-1": '''def rtrl_reset(self):
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
LSTM_RTRL.forward = rtrl_forward''',
    "ex11-experiment-1": '''for T in [1, 2, 4, 8]:
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
    print(T, good / 300)''',
}, answers=ANSWERS_B, extra=[
    ("fixed-backward", "ex06-code-1", "code", '''# Found it: the bias gradient was never accumulated, so b never learned. Fixed version:
def gate_backward(self, grad_a):
    x, h, s = self.history.pop()
    delta = grad_a * self.phi_prime(s)
    self.dW += np.outer(delta, x)
    self.dR += np.outer(delta, h)
    self.db += delta
    return self.W.T.dot(delta), self.R.T.dot(delta)


Gate.backward = gate_backward'''),
    ("helpers", "ex06-code-1", "code", '''# helpers used by my classes (moved here while cleaning up the notebook)
INIT_RANGE = 0.01
EPS = 1e-12


def random_matrix(*shape):
    return np.random.uniform(-INIT_RANGE, INIT_RANGE, size=shape)


def lstm_update(self, eta):
    for gate in (self.z, self.i, self.o):
        gate.update(eta)
    self.W_y -= eta * self.dW_y
    self.b_y -= eta * self.db_y


LSTM.update = lstm_update'''),
])


# ===================================================================================================== erin
# Vectorised, with chatty training cells: %matplotlib inline, progress prints, plots, and a plot cell that raises.

ERIN = Student("erin", "correct: vectorised, noisy training cells (%matplotlib inline, progress prints, plots, a "
               "leftover cell that raises)", code={
    "ex00-setup-1": '''import time

import matplotlib.pyplot as plt
import numpy as np

%matplotlib inline
np.random.seed(0xDEADBEEF)''',
    "ex02-code-1": '''class Gate:
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
        return self.activation(s)''',
    "ex04-code-1": '''def zero_grad(self):
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
Gate.update = update''',
    "ex05-code-1": '''class LSTM:
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
        return float(-(y * np.log(self.y_hat) + (1 - y) * np.log(1 - self.y_hat)).sum())''',
    "ex06-code-1": '''def zero_grad(self):
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
LSTM.update = update''',
    "ex07-code-1": '''def generate_data(T):
    """2-sequence problem: class 1 starts with +1 (target 1), class 2 with -1 (target 0)."""
    std = np.sqrt(0.2)
    while True:
        cls1 = np.random.uniform() < 0.5
        x = np.random.normal(0, std, size=T)
        x[0] = 1.0 if cls1 else -1.0
        yield x.reshape(T, 1), np.array([1.0 if cls1 else 0.0])''',
    "ex07-experiment-1": '''%matplotlib inline
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
plt.show()''',
    "ex11-experiment-1": '''T_values = list(range(1, 9))
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
plt.show()''',
    "ex09-code-1": '''class LSTM_RTRL:
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
            setattr(self, name, getattr(self, name) - eta * getattr(self, "d" + name))''',
    "ex10-code-1": '''def forward(self, x_t, y=None):
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


LSTM_RTRL.forward = forward''',
}, answers=ANSWERS_A, extra=[
    ("accuracy-plot", "ex07-experiment-1", "code", '''# accuracy during training
plt.plot(accuracy_history)
plt.show()'''),
])


# ===================================================================================================== frank
# Sizes in the other order (hidden first), Gate.forward returns nothing (the activation is appended to
# self.output), the pre-activation recomputed in backward, output layer called W_out / b_out.

FRANK = Student("frank", "correct: sizes in the other order (hidden_size first), Gate.forward returns nothing "
                "(appends to self.output), pre-activation recomputed in backward, W_out/b_out", code={
    "ex02-code-1": '''class Gate:
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
        self.output.append(self.activation(self.W @ x + self.R @ h + self.b))''',
    "ex04-code-1": '''def zero_grad(self):
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
Gate.update = update''',
    "ex05-code-1": '''class LSTM:
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
        return -float(np.sum(y * np.log(self.y_hat) + (1 - y) * np.log(1 - self.y_hat)))''',
    "ex06-code-1": '''def zero_grad(self):
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
LSTM.update = update''',
    "ex07-code-1": '''def generate_data(T):
    while True:
        positive = np.random.random() < 0.5
        x = np.random.normal(0.0, 0.2 ** 0.5, (T, 1))
        x[0, 0] = 1.0 if positive else -1.0
        y = np.array([1.0]) if positive else np.array([0.0])
        yield x, y''',
    "ex07-experiment-1": '''T = 10
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
print("BPTT accuracy:", ok / 500)''',
    "ex09-code-1": '''class LSTM_RTRL:
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
            p -= eta * g''',
    "ex10-code-1": '''def forward(self, x_t, y=None):
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


LSTM_RTRL.forward = forward''',
    "ex11-experiment-1": '''for T in (1, 2, 4, 8):
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
    print("RTRL, T =", T, "accuracy", ok / 300)''',
}, answers=ANSWERS_B)

BASES = {s.name: s for s in (ALICE, BOB, CAROL, DAVE, ERIN, FRANK)}


# ===================================================================================================== variants

@dataclass
class Variant:
    """A base student's notebook with one bug: (cell, old text, new text) replacements, and what it should cost."""
    name: str
    base: str
    description: str
    edits: list
    lose: list
    failed: list
    diagnosis: dict = field(default_factory=dict)
    free: list = field(default_factory=list)  # exercises left unconstrained (cascades, training that may still work)
    kind: str = "bug"


V = Variant
VARIANTS = [
    # ------------------------------------------------------------------ initialisation
    V("init_normal", "alice", "initialisation: 0.01 * randn (normal) instead of uniform in [-0.01, 0.01], everywhere",
      [("ex02-code-1", '''        # parameters, uniformly distributed in [-0.01, 0.01]
        self.W = np.random.uniform(-0.01, 0.01, size=(hidden_size, input_size))
        self.R = np.random.uniform(-0.01, 0.01, size=(hidden_size, hidden_size))
        self.b = np.random.uniform(-0.01, 0.01, size=hidden_size)''', '''        # small random parameters
        self.W = 0.01 * np.random.randn(hidden_size, input_size)
        self.R = 0.01 * np.random.randn(hidden_size, hidden_size)
        self.b = 0.01 * np.random.randn(hidden_size)'''),
       ("ex05-code-1", '''        self.W_y = np.random.uniform(-0.01, 0.01, size=(output_size, hidden_size))
        self.b_y = np.random.uniform(-0.01, 0.01, size=output_size)''', '''        self.W_y = 0.01 * np.random.randn(output_size, hidden_size)
        self.b_y = 0.01 * np.random.randn(output_size)'''),
       ("ex09-code-1", "u = lambda *shape: np.random.uniform(-0.01, 0.01, size=shape)",
        "u = lambda *shape: 0.01 * np.random.randn(*shape)")],
      lose=[2, 5, 9], failed=["gate.init", "lstm.init", "rtrl.init"],
      diagnosis={"gate.init": "[-0.01, 0.01]", "lstm.init": "[-0.01, 0.01]", "rtrl.init": "[-0.01, 0.01]"}),
    V("init_positive", "frank", "initialisation: 0.01 * rand, i.e. uniform in [0, 0.01], in the Gate",
      [("ex02-code-1", '''        self.W = np.random.uniform(-0.01, 0.01, (hidden_size, input_size))
        self.R = np.random.uniform(-0.01, 0.01, (hidden_size, hidden_size))
        self.b = np.random.uniform(-0.01, 0.01, hidden_size)''', '''        self.W = np.random.rand(hidden_size, input_size) * 0.01   # small weights
        self.R = np.random.rand(hidden_size, hidden_size) * 0.01
        self.b = np.random.rand(hidden_size) * 0.01''')],
      lose=[2, 5], failed=["gate.init", "lstm.init"],
      diagnosis={"gate.init": "not spread uniformly", "lstm.init": "not spread uniformly"}),

    # ------------------------------------------------------------------ the gates' forward
    V("forward_no_bias", "alice", "Gate.forward leaves out the bias b",
      [("ex02-code-1", "pre = np.dot(self.W, x) + np.dot(self.R, h) + self.b", "pre = np.dot(self.W, x) + np.dot(self.R, h)")],
      lose=[2, 5], failed=["gate.forward", "lstm.loss"],
      diagnosis={"gate.forward": "bias b is left out", "lstm.loss": "biases are left out"}, free=[4, 6, 7]),
    V("gate_no_recurrent", "dave", "Gate.forward leaves out R h",
      [("ex02-code-1", "s = self.W.dot(x) + self.R.dot(h) + self.b", "s = self.W.dot(x) + self.b")],
      lose=[2, 5], failed=["gate.forward", "lstm.loss"],
      diagnosis={"gate.forward": "R h is left out", "lstm.loss": "R h(t-1) is left out"}, free=[4, 6, 7]),
    V("z_sigmoid", "alice", "the LSTM's cell input z uses the sigmoid instead of tanh",
      [("ex05-code-1", "self.z = Gate(input_size, hidden_size, tanh, tanh_derivative)        # cell input",
        "self.z = Gate(input_size, hidden_size, sigmoid, sigmoid_derivative)  # cell input")],
      lose=[5], failed=["lstm.loss"], diagnosis={"lstm.loss": "z uses the sigmoid"}, free=[6, 7]),
    V("rtrl_o_no_recurrent", "alice", "LSTM_RTRL's output gate leaves out R_o h(t-1)",
      [("ex10-code-1", "s_o = self.W_o @ x_t + self.R_o @ h_prev + self.b_o", "s_o = self.W_o @ x_t + self.b_o")],
      lose=[10], failed=["rtrl.outputs"], diagnosis={"rtrl.outputs": "R_o h(t-1) is left out"}, free=[11]),
    V("activation_hardcoded", "dave", "Gate.forward ignores the activation passed in (tanh or else the sigmoid)",
      [("ex02-code-1", '''    self.history.append((x, h, s))
    return self.phi(s)''', '''    self.history.append((x, h, s))
    if self.phi is tanh:
        return np.tanh(s)
    return 1.0 / (1.0 + np.exp(-s))   # sigmoid''')],
      lose=[2], failed=["gate.forward", "gate.activation"],
      diagnosis={"gate.forward": "whatever activation the constructor was given",
                 "gate.activation": "activation passed to the constructor"},
      free=[4]),  # backward uses the derivative passed in, so it disagrees with this forward (finite differences)

    # ------------------------------------------------------------------ activation derivatives
    V("der_of_output", "alice", "Gate.backward applies the activation's derivative to the stored output a",
      [("ex02-code-1", '''        # one entry per forward call: (x, h, pre-activation); backward takes them from the end
        self.memory = []''', '''        # one entry per forward call: (x, h, activation); backward takes them from the end
        self.memory = []'''),
       ("ex02-code-1", '''        self.memory.append((x, h, pre))
        return self.act(pre)''', '''        a = self.act(pre)
        self.memory.append((x, h, a))
        return a'''),
       ("ex04-code-1", '''    x, h, pre = self.memory.pop()
    delta = grad_a * self.act_deriv(pre)   # dL/ds, elementwise''', '''    x, h, a = self.memory.pop()
    delta = grad_a * self.act_deriv(a)     # dL/ds, elementwise''')],
      lose=[4, 6], failed=["gate.backward_inputs", "gate.backward_params", "lstm.bptt"],
      diagnosis={"gate.backward_inputs": "applied to its output", "gate.backward_params": "applied to its output",
                 "lstm.bptt": "applied to its output"}, free=[7]),
    V("sigmoid_der_preact", "dave", "the LSTM's gates get sigmoid' written as s(1-s) of the pre-activation",
      [("ex05-code-1", '''class LSTM:
    def __init__(self, input_size, hidden_size, output_size=1):
        self.hidden_size = hidden_size
        self.z = Gate(input_size, hidden_size, tanh, tanh_derivative)
        self.i = Gate(input_size, hidden_size, sigmoid, sigmoid_derivative)
        self.o = Gate(input_size, hidden_size, sigmoid, sigmoid_derivative)''', '''def sigmoid_prime(s):
    # derivative of the sigmoid: sigma * (1 - sigma)
    return s * (1 - s)


class LSTM:
    def __init__(self, input_size, hidden_size, output_size=1):
        self.hidden_size = hidden_size
        self.z = Gate(input_size, hidden_size, tanh, tanh_derivative)
        self.i = Gate(input_size, hidden_size, sigmoid, sigmoid_prime)
        self.o = Gate(input_size, hidden_size, sigmoid, sigmoid_prime)''')],
      lose=[6], failed=["lstm.bptt"], diagnosis={"lstm.bptt": "not s(1-s)"}, free=[7]),
    V("backward_no_bias", "frank", "Gate.backward recomputes the pre-activation without the bias b",
      [("ex04-code-1", "s = self.W @ x + self.R @ h + self.b    # pre-activation, computed again",
        "s = self.W @ x + self.R @ h    # pre-activation, computed again")],
      lose=[4, 6], failed=["gate.backward_inputs", "gate.backward_params", "gate.finite_differences", "lstm.bptt",
                           "lstm.finite_differences"],
      diagnosis={"gate.backward_params": "without the bias", "lstm.bptt": "without the bias"}, free=[7]),
    V("rtrl_tanh_der_output", "bob", "LSTM_RTRL: tanh' applied to z = tanh(s_z) instead of s_z in the sensitivities",
      [("ex10-code-1", "dz = i * (1 - z ** 2)", "dz = i * (1 - np.tanh(z) ** 2)")],
      lose=[10], failed=["rtrl.gradient"], diagnosis={"rtrl.gradient": "applied to its output"}, free=[11]),

    # ------------------------------------------------------------------ BPTT
    V("bptt_no_carry", "alice", "BPTT drops the cell error carried back from c(t+1)",
      [("ex06-code-1", "dc = dh * self.o_list[t] * (1 - tc ** 2) + dc_next", "dc = dh * self.o_list[t] * (1 - tc ** 2)")],
      lose=[6], failed=["lstm.bptt"], diagnosis={"lstm.bptt": "dL/dc(t+1)"}, free=[7]),
    V("bptt_no_recurrent", "alice", "BPTT does not propagate dL/dh back to h(t-1) through R",
      [("ex06-code-1", '''        # the gates add their own gradients and give back their part of dL/dh(t-1)
        _, dh_from_z = self.z.backward(dz)
        _, dh_from_i = self.i.backward(di)
        _, dh_from_o = self.o.backward(do)
        dh = dh_from_z + dh_from_i + dh_from_o''', '''        # the gates add their own gradients
        self.z.backward(dz)
        self.i.backward(di)
        self.o.backward(do)
        dh = np.zeros(self.hidden_size)   # only h(T) is connected to the output''')],
      lose=[6], failed=["lstm.bptt"], diagnosis={"lstm.bptt": "through R"}, free=[7]),
    V("bptt_delta_o_no_tanh", "alice", "BPTT: the output gate's delta misses the factor tanh(c(t))",
      [("ex06-code-1", "do = dh * tc", "do = dh")],
      lose=[6], failed=["lstm.bptt"], diagnosis={"lstm.bptt": "output gate"}, free=[7]),
    V("bptt_wy_h_prev", "dave", "BPTT: dW_y computed with h(T-1) instead of h(T)",
      [("ex06-code-1", "self.dW_y += np.outer(e, self.hs[T])", "self.dW_y += np.outer(e, self.hs[T - 1])")],
      lose=[6], failed=["lstm.bptt"], diagnosis={"lstm.bptt": "output layer"}, free=[7]),
    V("off_by_one", "dave", "forward loop stops one step early: y_hat(T) computed from h(T-1)",
      [("ex05-code-1", "for t in range(1, T + 1):", "for t in range(1, T):")],
      lose=[5, 6], failed=["lstm.loss", "lstm.bptt"], diagnosis={"lstm.loss": "h(T-1)", "lstm.bptt": "h(T-1)"},
      free=[7]),

    # ------------------------------------------------------------------ the loss
    V("bce_sign", "alice", "cross-entropy without its minus sign, and the error derived from it (y - y_hat)",
      [("ex05-code-1", "loss = -np.sum(y * np.log(self.y_hat) + (1 - y) * np.log(1 - self.y_hat))",
        "loss = np.sum(y * np.log(self.y_hat) + (1 - y) * np.log(1 - self.y_hat))"),
       ("ex06-code-1", "e = self.y_hat - self.y                  # dL/d(W_y h + b_y)",
        "e = self.y - self.y_hat                  # dL/d(W_y h + b_y)")],
      lose=[5, 6, 7], failed=["lstm.loss", "lstm.bptt", "lstm.training"],
      diagnosis={"lstm.loss": "wrong sign", "lstm.bptt": "wrong sign"}),
    V("bce_inner_sign", "dave", "sign error inside the cross-entropy: -(y log p - (1-y) log(1-p))",
      [("ex05-code-1", "return float(-np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)))",
        "return float(-np.sum(y * np.log(p) - (1 - y) * np.log(1 - p)))")],
      lose=[5], failed=["lstm.loss"], diagnosis={"lstm.loss": "wrong sign"}, free=[6]),
    V("loss_every_step", "alice", "the loss is the cross-entropy summed over every step instead of the last one",
      [("ex05-code-1", '''        self.z_list, self.i_list, self.o_list, self.c_list = [], [], [], []''',
        '''        self.z_list, self.i_list, self.o_list, self.c_list = [], [], [], []
        self.h_list, self.y_hats = [], []
        loss = 0.0'''),
       ("ex05-code-1", '''            self.c_list.append(c)
        self.h_T = h
        self.y_hat = sigmoid(np.dot(self.W_y, h) + self.b_y)
        self.y = y
        loss = -np.sum(y * np.log(self.y_hat) + (1 - y) * np.log(1 - self.y_hat))
        return float(loss)''', '''            self.c_list.append(c)
            # output and loss at every time step
            y_hat_t = sigmoid(np.dot(self.W_y, h) + self.b_y)
            loss += -np.sum(y * np.log(y_hat_t) + (1 - y) * np.log(1 - y_hat_t))
            self.h_list.append(h)
            self.y_hats.append(y_hat_t)
        self.h_T = h
        self.y_hat = self.y_hats[-1]
        self.y = y
        return float(loss)'''),
       ("ex06-code-1", '''    e = self.y_hat - self.y                  # dL/d(W_y h + b_y)
    self.dW_y += np.outer(e, self.h_T)
    self.db_y += e
    dh = np.dot(self.W_y.T, e)               # dL/dh(T)
    dc_next = np.zeros(self.hidden_size)     # dL/dc(t+1)
    for t in range(T - 1, -1, -1):
        tc = np.tanh(self.c_list[t])''', '''    dh = np.zeros(self.hidden_size)
    dc_next = np.zeros(self.hidden_size)     # dL/dc(t+1)
    for t in range(T - 1, -1, -1):
        e = self.y_hats[t] - self.y          # error of the output at step t
        self.dW_y += np.outer(e, self.h_list[t])
        self.db_y += e
        dh = dh + np.dot(self.W_y.T, e)
        tc = np.tanh(self.c_list[t])''')],
      lose=[5], failed=["lstm.loss"], diagnosis={"lstm.loss": "every step"}, free=[6, 7]),

    # ------------------------------------------------------------------ state and order
    V("global_T", "alice", "LSTM.forward loops over range(T) with the notebook's global T (set by the training "
      "cells) instead of the length of x", [("ex05-code-1", '''    def forward(self, x, y):
        T = x.shape[0]
''', '''    def forward(self, x, y):
''')],
      lose=[5, 6, 7], failed=["lstm.loss", "lstm.bptt", "lstm.training"],
      diagnosis={"lstm.loss": "reads the notebook global(s) T", "lstm.bptt": "reads the notebook global(s) T"}),
    V("state_kept", "alice", "h and c are kept across forward calls (no reset at the start of a sequence)",
      [("ex05-code-1", '''        self.dW_y = np.zeros((output_size, hidden_size))
        self.db_y = np.zeros(output_size)
''', '''        self.dW_y = np.zeros((output_size, hidden_size))
        self.db_y = np.zeros(output_size)
        self.h_state = np.zeros(hidden_size)
        self.c_state = np.zeros(hidden_size)
'''),
       ("ex05-code-1", '''        # a new sequence: empty the gates' memories and start from the zero state
        for gate in [self.z, self.i, self.o]:
            gate.memory = []
        h = np.zeros(self.hidden_size)
        c = np.zeros(self.hidden_size)''', '''        # a new sequence: empty the gates' memories
        for gate in [self.z, self.i, self.o]:
            gate.memory = []
        h = self.h_state
        c = self.c_state'''),
       ("ex05-code-1", '''        self.h_T = h
''', '''        self.h_T = h
        self.h_state, self.c_state = h, c
''')],
      lose=[5], failed=["lstm.state_reset"], diagnosis={"lstm.state_reset": "reset h and c"}, free=[6, 7]),
    V("backward_fifo", "alice", "Gate.backward takes the oldest stored forward call (pop(0)) instead of the latest",
      [("ex04-code-1", '''    # most recent forward call that was not undone yet
    x, h, pre = self.memory.pop()''', '''    # take the stored forward call
    x, h, pre = self.memory.pop(0)''')],
      lose=[4, 6], failed=["gate.backward_inputs", "gate.backward_params", "lstm.bptt"],
      diagnosis={"lstm.bptt": "reverse order", "gate.backward_params": "order"}, free=[7]),
    V("backward_forward_order", "bob", "LSTM.backward iterates t forward instead of reversed",
      [("ex06-code-1", "for t in reversed(range(T)):", "for t in range(T):")],
      lose=[6], failed=["lstm.bptt"], diagnosis={"lstm.bptt": "order"}, free=[7]),
    V("index_wrap", "bob", "LSTM.backward uses h[t-1] at t = 0, which wraps around to h(T)",
      [("ex06-code-1", '''        h_prev = self.h[t - 1] if t > 0 else self.h0
        tanh_c = np.tanh(self.c[t])''', '''        h_prev = self.h[t - 1]    # h(t-1)
        tanh_c = np.tanh(self.c[t])''')],
      lose=[6], failed=["lstm.bptt"], diagnosis={"lstm.bptt": "h(t-1)"}, free=[7]),

    # ------------------------------------------------------------------ accumulation, zero_grad, update
    V("assign_not_accumulate", "alice", "Gate.backward assigns (=) the parameter gradients instead of adding (+=)",
      [("ex04-code-1", '''        self.dW[n] += delta[n] * x
        self.dR[n] += delta[n] * h
        self.db[n] += delta[n]''', '''        self.dW[n] = delta[n] * x
        self.dR[n] = delta[n] * h
        self.db[n] = delta[n]''')],
      lose=[4, 6], failed=["gate.backward_params", "lstm.bptt", "lstm.accumulate"],
      diagnosis={"gate.backward_params": "+=", "lstm.accumulate": "+="}, free=[7]),
    V("lstm_assign_dWy", "frank", "LSTM.backward assigns (=) the output layer's gradient instead of adding",
      [("ex06-code-1", '''    self.dW_out += np.outer(e, self.h_last)
    self.db_out += e''', '''    self.dW_out = np.outer(e, self.h_last)
    self.db_out = e.copy()''')],
      lose=[6], failed=["lstm.accumulate", "lstm.bptt"],
      diagnosis={"lstm.accumulate": "+=", "lstm.bptt": "output layer"}, free=[7]),
    V("zero_grad_partial", "alice", "Gate.zero_grad does not reset db",
      [("ex04-code-1", '''def zero_grad(self):
    self.dW = np.zeros_like(self.W)
    self.dR = np.zeros_like(self.R)
    self.db = np.zeros_like(self.b)''', '''def zero_grad(self):
    self.dW = np.zeros_like(self.W)
    self.dR = np.zeros_like(self.R)''')],
      lose=[4], failed=["gate.zero_grad"], diagnosis={"gate.zero_grad": "gradient of b is not zero"}, free=[7]),
    V("update_ascent", "alice", "Gate.update adds the gradient (+=): gradient ascent",
      [("ex04-code-1", '''    self.W = self.W - eta * self.dW
    self.R = self.R - eta * self.dR
    self.b = self.b - eta * self.db''', '''    self.W = self.W + eta * self.dW
    self.R = self.R + eta * self.dR
    self.b = self.b + eta * self.db''')],
      lose=[4, 6, 7], failed=["gate.update", "lstm.update", "lstm.training"],
      diagnosis={"gate.update": "gradient ascent", "lstm.update": "gradient ascent"}),
    V("rtrl_update_ascent", "bob", "LSTM_RTRL.update adds the gradient: gradient ascent",
      [("ex09-code-1", 'setattr(self, name, getattr(self, name) - eta * getattr(self, "d" + name))',
        'setattr(self, name, getattr(self, name) + eta * getattr(self, "d" + name))')],
      lose=[9, 11], failed=["rtrl.update", "rtrl.training"], diagnosis={"rtrl.update": "gradient ascent"}),
    V("grads_added_twice", "dave", "LSTM.backward adds the gates' weight gradients itself, after Gate.backward "
      "already did", [("ex06-code-1", '''        dc = dc + dh * o * (1 - tanh_c ** 2)
        dh = (self.z.backward(dc * i)[1]''', '''        dc = dc + dh * o * (1 - tanh_c ** 2)
        # weight gradients of the three gates at step t
        for gate, grad_a in ((self.z, dc * i), (self.i, dc * z), (self.o, dh * tanh_c)):
            x_t, h_prev, s = gate.history[-1]
            delta = grad_a * gate.phi_prime(s)
            gate.dW += np.outer(delta, x_t)
            gate.dR += np.outer(delta, h_prev)
            gate.db += delta
        dh = (self.z.backward(dc * i)[1]''')],
      lose=[6], failed=["lstm.bptt"], diagnosis={"lstm.bptt": "added twice"}, free=[7]),
    V("update_applied_twice", "frank", "LSTM.update steps the gates' parameters twice (Gate.update and again itself)",
      [("ex06-code-1", '''def update(self, eta):
    for g in (self.z, self.i, self.o):
        g.update(eta)
    self.W_out -= eta * self.dW_out
    self.b_out -= eta * self.db_out''', '''def update(self, eta):
    for g in (self.z, self.i, self.o):
        g.update(eta)
    # gradient descent on all parameters
    params = [self.W_out, self.b_out] + [p for g in (self.z, self.i, self.o) for p in (g.W, g.R, g.b)]
    grads = [self.dW_out, self.db_out] + [d for g in (self.z, self.i, self.o) for d in (g.dW, g.dR, g.db)]
    for p, d in zip(params, grads):
        p -= eta * d''')],
      lose=[6], failed=["lstm.update"], diagnosis={"lstm.update": "twice"}, free=[7]),

    # ------------------------------------------------------------------ the data generator
    V("data_std", "bob", "generate_data: noise with standard deviation 0.2 instead of variance 0.2",
      [("ex07-code-1", "x = np.sqrt(0.2) * np.random.randn(T, 1)  # noise with variance 0.2",
        "x = 0.2 * np.random.randn(T, 1)          # noise with variance 0.2")],
      lose=[7], failed=["data.distribution"],
      diagnosis={"data.distribution": "standard deviation 0.2 instead of variance"}),
    V("data_labels_pm1", "alice", "generate_data: labels 1 / -1 instead of 1 / 0",
      [("ex07-code-1", "first, label = -1.0, 0.0    # class 2", "first, label = -1.0, -1.0   # class 2")],
      lose=[7], failed=["data.distribution"], diagnosis={"data.distribution": "labels 1.0 or 0.0"}),
    V("data_first_not_pm1", "dave", "generate_data: the first element is the label (1 / 0), not +1 / -1",
      [("ex07-code-1", "x[0] = 1.0 if label else -1.0", "x[0] = label   # the first element tells the class")],
      lose=[7], failed=["data.distribution"], diagnosis={"data.distribution": "+1 for label 1 and -1 for label 0"}),
    V("data_list", "dave", "generate_data returns a list of n sequences instead of yielding",
      [("ex07-code-1", '''def generate_data(T):
    while True:
        label = float(np.random.rand() < 0.5)
        x = np.random.normal(0, np.sqrt(0.2), (T, 1))
        x[0] = 1.0 if label else -1.0
        yield x, np.array([label])''', '''def generate_data(T, n=1000):
    samples = []
    for _ in range(n):
        label = float(np.random.rand() < 0.5)
        x = np.random.normal(0, np.sqrt(0.2), (T, 1))
        x[0] = 1.0 if label else -1.0
        samples.append((x, np.array([label])))
    return samples'''),
       ("ex07-experiment-1", '''data = generate_data(T)
for n in range(300):
    x, y = next(data)
''', '''for n, (x, y) in enumerate(generate_data(T, 300)):
'''),
       ("ex07-experiment-1", "(next(data) for _ in range(500))", "generate_data(T, 500)"),
       ("ex11-experiment-1", '''    data = generate_data(T)
    for n in range(250):
        x, y = next(data)
''', '''    for x, y in generate_data(T, 250):
'''),
       ("ex11-experiment-1", '''    for n in range(300):
        x, y = next(data)
''', '''    for x, y in generate_data(T, 300):
''')],
      lose=[7], failed=["data.protocol"], diagnosis={"data.protocol": "generator"}),

    # ------------------------------------------------------------------ RTRL
    V("rtrl_sens_assign", "alice", "LSTM_RTRL: sensitivities assigned (=) each step instead of accumulated (+=)",
      [("ex10-code-1", '''        self.sW_z[n] += dc_dsz[n] * x_t
        self.sW_i[n] += dc_dsi[n] * x_t
        self.sR_z[n] += dc_dsz[n] * h_prev
        self.sR_i[n] += dc_dsi[n] * h_prev
        self.sb_z[n] += dc_dsz[n]
        self.sb_i[n] += dc_dsi[n]''', '''        self.sW_z[n] = dc_dsz[n] * x_t
        self.sW_i[n] = dc_dsi[n] * x_t
        self.sR_z[n] = dc_dsz[n] * h_prev
        self.sR_i[n] = dc_dsi[n] * h_prev
        self.sb_z[n] = dc_dsz[n]
        self.sb_i[n] = dc_dsi[n]''')],
      lose=[10], failed=["rtrl.gradient"], diagnosis={"rtrl.gradient": "sensitivities"}, free=[11]),
    V("rtrl_h_current", "bob", "LSTM_RTRL: the R sensitivities and dR_o use h(t) instead of h(t-1)",
      [("ex10-code-1", '''    self.c = self.c + z * i
    # sensitivities of c(t)''', '''    self.c = self.c + z * i
    tanh_c = np.tanh(self.c)
    self.h = tanh_c * o
    # sensitivities of c(t)'''),
       ("ex10-code-1", "self.S_R_z += np.outer(dz, h_prev)", "self.S_R_z += np.outer(dz, self.h)"),
       ("ex10-code-1", "self.S_R_i += np.outer(di, h_prev)", "self.S_R_i += np.outer(di, self.h)"),
       ("ex10-code-1", '''    self.S_b_i += di
    tanh_c = np.tanh(self.c)
    self.h = tanh_c * o
''', '''    self.S_b_i += di
'''),
       ("ex10-code-1", "self.dR_o += np.outer(do, h_prev)", "self.dR_o += np.outer(do, self.h)")],
      lose=[10], failed=["rtrl.gradient"], diagnosis={"rtrl.gradient": "h(t-1)"}, free=[11]),
    V("rtrl_no_reset_sens", "alice", "LSTM_RTRL.reset zeroes h and c but not the sensitivities (set once in __init__)",
      [("ex09-code-1", '''        self.W_y, self.b_y = u(K, I), u(K)
        self.zero_grad()''', '''        self.W_y, self.b_y = u(K, I), u(K)
        # sensitivities dc_n / dtheta[n, k] of the z and i parameters (same shapes as the parameters)
        self.sW_z, self.sR_z, self.sb_z = np.zeros((I, D)), np.zeros((I, I)), np.zeros(I)
        self.sW_i, self.sR_i, self.sb_i = np.zeros((I, D)), np.zeros((I, I)), np.zeros(I)
        self.zero_grad()'''),
       ("ex09-code-1", '''        self.c = np.zeros(self.I)
        # sensitivities dc_n / dtheta[n, k] of the z and i parameters (same shapes as the parameters)
        self.sW_z, self.sR_z, self.sb_z = np.zeros((self.I, self.D)), np.zeros((self.I, self.I)), np.zeros(self.I)
        self.sW_i, self.sR_i, self.sb_i = np.zeros((self.I, self.D)), np.zeros((self.I, self.I)), np.zeros(self.I)''',
        '''        self.c = np.zeros(self.I)''')],
      lose=[10], failed=["rtrl.gradient"], diagnosis={"rtrl.gradient": "sensitivities"}, free=[11]),
    V("rtrl_o_all_steps", "bob", "LSTM_RTRL: the output gate's gradient accumulated over all steps (like z and i) "
      "instead of only the last", [("ex09-code-1", '''        self.S_W_i, self.S_R_i, self.S_b_i = np.zeros((self.I, self.D)), np.zeros((self.I, self.I)), np.zeros(self.I)''',
                                   '''        self.S_W_i, self.S_R_i, self.S_b_i = np.zeros((self.I, self.D)), np.zeros((self.I, self.I)), np.zeros(self.I)
        # output gate: dh/ds_o summed over time like the others
        self.S_W_o, self.S_R_o, self.S_b_o = np.zeros((self.I, self.D)), np.zeros((self.I, self.I)), np.zeros(self.I)'''),
       ("ex10-code-1", '''    tanh_c = np.tanh(self.c)
    self.h = tanh_c * o''', '''    tanh_c = np.tanh(self.c)
    do = tanh_c * o * (1 - o)
    self.S_W_o += np.outer(do, x)
    self.S_R_o += np.outer(do, h_prev)
    self.S_b_o += do
    self.h = tanh_c * o'''),
       ("ex10-code-1", '''        do = dh * tanh_c * o * (1 - o)
        self.dW_o += np.outer(do, x)
        self.dR_o += np.outer(do, h_prev)
        self.db_o += do''', '''        self.dW_o += dh[:, None] * self.S_W_o
        self.dR_o += dh[:, None] * self.S_R_o
        self.db_o += dh * self.S_b_o''')],
      lose=[10], failed=["rtrl.gradient"], diagnosis={"rtrl.gradient": "output gate"}, free=[11]),
    V("rtrl_full_bptt", "dave", "LSTM_RTRL stores the sequence and computes the full BPTT gradient at the target",
      [("ex10-code-1", '''    self.dc_dW_z, self.dc_dR_z, self.dc_db_z = np.zeros((I, D)), np.zeros((I, I)), np.zeros(I)
    self.dc_dW_i, self.dc_dR_i, self.dc_db_i = np.zeros((I, D)), np.zeros((I, I)), np.zeros(I)''',
        '''    self.steps = []   # everything since reset, for going back through the sequence'''),
       ("ex10-code-1", '''    self.c = self.c + z * i
...
    return y_hat''', '''    self.c = self.c + z * i
    self.h = np.tanh(self.c) * o
    self.steps.append((x_t, h_prev, z, i, o, self.c))
    y_hat = sigmoid(self.W_y.dot(self.h) + self.b_y)
    if y is not None:
        # the sensitivity formulas were too confusing, so I go back through the stored steps (exact gradient)
        e = y_hat - y
        self.dW_y += np.outer(e, self.h)
        self.db_y += e
        dh = self.W_y.T.dot(e)
        dc_next = np.zeros_like(self.c)
        for x_s, h_s, z_s, i_s, o_s, c_s in reversed(self.steps):
            tanh_c = np.tanh(c_s)
            dc = dh * o_s * (1 - tanh_c ** 2) + dc_next
            d_z = dc * i_s * (1 - z_s ** 2)
            d_i = dc * z_s * i_s * (1 - i_s)
            d_o = dh * tanh_c * o_s * (1 - o_s)
            self.dW_z += np.outer(d_z, x_s)
            self.dR_z += np.outer(d_z, h_s)
            self.db_z += d_z
            self.dW_i += np.outer(d_i, x_s)
            self.dR_i += np.outer(d_i, h_s)
            self.db_i += d_i
            self.dW_o += np.outer(d_o, x_s)
            self.dR_o += np.outer(d_o, h_s)
            self.db_o += d_o
            dh = self.R_z.T.dot(d_z) + self.R_i.T.dot(d_i) + self.R_o.T.dot(d_o)
            dc_next = dc
    return y_hat''')],
      lose=[10], failed=["rtrl.gradient"], diagnosis={"rtrl.gradient": "full BPTT gradient"}, free=[11]),
    V("rtrl_cubic", "bob", "LSTM_RTRL keeps the full sensitivity tensors dc_n/dW[m,k] (O(I^3) numbers)",
      [("ex09-code-1", '''        # S_...[n, k] = dc_n / dparam[n, k]
        self.S_W_z, self.S_R_z, self.S_b_z = np.zeros((self.I, self.D)), np.zeros((self.I, self.I)), np.zeros(self.I)
        self.S_W_i, self.S_R_i, self.S_b_i = np.zeros((self.I, self.D)), np.zeros((self.I, self.I)), np.zeros(self.I)''',
        '''        # S_...[n, m, k] = dc_n / dparam[m, k] for every cell n and every parameter
        I, D = self.I, self.D
        self.S_W_z, self.S_R_z, self.S_b_z = np.zeros((I, I, D)), np.zeros((I, I, I)), np.zeros((I, I))
        self.S_W_i, self.S_R_i, self.S_b_i = np.zeros((I, I, D)), np.zeros((I, I, I)), np.zeros((I, I))'''),
       ("ex10-code-1", '''    self.S_W_z += np.outer(dz, x)
    self.S_R_z += np.outer(dz, h_prev)
    self.S_b_z += dz
    self.S_W_i += np.outer(di, x)
    self.S_R_i += np.outer(di, h_prev)
    self.S_b_i += di''', '''    eye = np.eye(self.I)     # c_n only depends on the parameters of row n
    self.S_W_z += eye[:, :, None] * np.outer(dz, x)[None, :, :]
    self.S_R_z += eye[:, :, None] * np.outer(dz, h_prev)[None, :, :]
    self.S_b_z += eye * dz[None, :]
    self.S_W_i += eye[:, :, None] * np.outer(di, x)[None, :, :]
    self.S_R_i += eye[:, :, None] * np.outer(di, h_prev)[None, :, :]
    self.S_b_i += eye * di[None, :]'''),
       ("ex10-code-1", '''        self.dW_z += dc[:, None] * self.S_W_z
        self.dR_z += dc[:, None] * self.S_R_z
        self.db_z += dc * self.S_b_z
        self.dW_i += dc[:, None] * self.S_W_i
        self.dR_i += dc[:, None] * self.S_R_i
        self.db_i += dc * self.S_b_i''', '''        self.dW_z += np.einsum("n,nmk->mk", dc, self.S_W_z)
        self.dR_z += np.einsum("n,nmk->mk", dc, self.S_R_z)
        self.db_z += np.einsum("n,nm->m", dc, self.S_b_z)
        self.dW_i += np.einsum("n,nmk->mk", dc, self.S_W_i)
        self.dR_i += np.einsum("n,nmk->mk", dc, self.S_R_i)
        self.db_i += np.einsum("n,nm->m", dc, self.S_b_i)''')],
      lose=[10], failed=["rtrl.memory"], diagnosis={"rtrl.memory": "O(I³)"}),

    # ------------------------------------------------------------------ training and mixes
    V("diverges", "bob", "correct code; the student's own training sums gradients over 1000 sequences with a large "
      "rate and diverges (the grader's checks train on their own)",
      [("ex07-experiment-1", '''T = 10
...
        print(step, total / batch)''', '''T = 5
I = 8
lstm = LSTM(1, I, 1, T)
data = generate_data(T)
eta = 5.0
# full-batch gradient descent on a fixed training set of 1000 sequences
train_set = [next(data) for _ in range(1000)]
for epoch in range(4):
    lstm.zero_grad()
    total = 0
    for x, y in train_set:
        total += lstm.forward(x, y)
        lstm.backward()
    lstm.update(eta)
    print(f"epoch {epoch}: total loss {total:.4g}, |dW_y| {np.abs(lstm.dW_y).sum():.4g}, "
          f"|W| {sum(np.abs(g.W).sum() + np.abs(g.R).sum() for g in (lstm.z, lstm.i, lstm.o)):.4g}")''')],
      lose=[], failed=[], kind="correct"),
    V("mix", "alice", "two bugs: derivative applied to the activation's output, and noise std 0.2 instead of variance",
      [("ex02-code-1", '''        self.memory.append((x, h, pre))
        return self.act(pre)''', '''        a = self.act(pre)
        self.memory.append((x, h, a))
        return a'''),
       ("ex04-code-1", '''    x, h, pre = self.memory.pop()
    delta = grad_a * self.act_deriv(pre)   # dL/ds, elementwise''', '''    x, h, a = self.memory.pop()
    delta = grad_a * self.act_deriv(a)     # dL/ds, elementwise'''),
       ("ex07-code-1", "x = np.random.normal(0.0, np.sqrt(0.2), size=(T, 1))   # variance 0.2",
        "x = np.random.normal(0.0, 0.2, size=(T, 1))   # variance 0.2")],
      lose=[4, 6, 7], failed=["gate.backward_inputs", "lstm.bptt", "data.distribution"],
      diagnosis={"gate.backward_inputs": "applied to its output", "lstm.bptt": "applied to its output",
                 "data.distribution": "standard deviation 0.2 instead of variance"}),
]


# ===================================================================================================== incomplete

ALICE_GATE_ONLY = {key: ALICE.code[key] for key in ("ex02-code-1", "ex04-code-1")}
ALICE_NO_RTRL = {key: source for key, source in ALICE.code.items() if not key.startswith(("ex09", "ex10", "ex11"))}
RTRL_CHECKS = [c for c in ALL_CHECKS if c.startswith("rtrl.")]
AFTER_GATE_CHECKS = [c for c in ALL_CHECKS if not c.startswith("gate.")]

INCOMPLETE = [
    (Student("template", "incomplete: the template as handed out, nothing done", code={}, answers={}),
     dict(lose=list(CODE_EXERCISES), failed=list(ALL_CHECKS),
          diagnosis={"gate.shapes": "not implemented", "lstm.init": "not implemented", "rtrl.init": "not implemented",
                     "data.protocol": "NotImplementedError"})),
    (Student("gates_only", "incomplete: only exercises 2 and 4 (the Gate) done, the rest as handed out",
             code=ALICE_GATE_ONLY, answers={n: ANSWERS_A[n] for n in (1, 3)}),
     dict(lose=[5, 6, 7, 9, 10, 11], failed=AFTER_GATE_CHECKS,
          diagnosis={"lstm.init": "not implemented", "rtrl.init": "not implemented"})),
    (Student("no_rtrl", "incomplete: everything but RTRL (exercises 9-11 left as handed out)",
             code=ALICE_NO_RTRL, answers={n: ANSWERS_A[n] for n in (1, 3)}),
     dict(lose=[9, 10, 11], failed=RTRL_CHECKS, diagnosis={"rtrl.init": "not implemented"})),
]


# ===================================================================================================== building


def edited(student, variant):
    """The base student's cells with the variant's replacements; each old text must occur exactly once."""
    code = dict(student.code)
    extra = [list(e) for e in student.extra]
    for key, old, new in variant.edits:
        if key in code:
            source = code[key]
        else:
            matches = [e for e in extra if e[0] == key]
            assert matches, f"{variant.name}: no cell {key} in {student.name}"
            source = matches[0][3]
        source = source.replace(passage(source, old, variant.name), new)
        if key in code:
            code[key] = source
        else:
            matches[0][3] = source
    return Student(variant.name, variant.description, code, student.answers, [tuple(e) for e in extra])


def passage(source, old, variant_name):
    """The text `old` names in `source`, which must occur exactly once: `old` itself, or for "FIRST\n...\nLAST" the
    passage from FIRST through the next LAST."""
    first, _, last = old.partition("\n...\n")
    count = source.count(first)
    assert count == 1, f"{variant_name}: {count} occurrences of {first!r}"
    start = source.index(first)
    end = source.index(last, start + len(first)) + len(last) if last else start + len(first)
    return source[start:end]


def build_notebook(student):
    """The template with the student's code and answers; cells they added carry no tags (as Jupyter makes them)."""
    template = nbformat.read(TEMPLATE, as_version=4)
    nb = nbformat.v4.new_notebook()
    nb.metadata = template.metadata
    extras = {}
    for key, after, kind, source in student.extra:
        extras.setdefault(after, []).append((key, kind, source))
    for cell in template.cells:
        cell = nbformat.from_dict(dict(cell))
        tags = cell.metadata.get("tags", [])
        if cell.id in student.code:
            cell.source = student.code[cell.id]
        elif "answer" in tags:
            exercise = int(next(t for t in tags if t.startswith("exercise-")).split("-")[1])
            if exercise in student.answers:
                cell.source = student.answers[exercise]
        nb.cells.append(cell)
        for key, kind, source in extras.get(cell.id, []):
            make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
            nb.cells.append(make(source=source, id=key, metadata={}))
    nbformat.validate(nb)
    return nb


def expectation(description, kind, lose, failed, diagnosis, free=()):
    lose, free = sorted(set(lose)), sorted(set(free))
    assert not set(lose) & set(free)
    assert set(diagnosis) <= set(failed) <= set(ALL_CHECKS), (failed, diagnosis)
    return {"description": description, "kind": kind,
            "full_marks": [e for e in CODE_EXERCISES if e not in lose and e not in free],
            "lose": lose, "failed_checks": list(failed), "diagnosis": dict(diagnosis)}


def submissions():
    """name -> (notebook, expected result)."""
    out = {}
    for student in BASES.values():
        out[student.name] = (build_notebook(student), expectation(student.description, "correct", [], [], {}))
    for variant in VARIANTS:
        student = edited(BASES[variant.base], variant)
        description = f"{variant.description} (based on {variant.base})"
        out[variant.name] = (build_notebook(student), expectation(description, variant.kind, variant.lose,
                                                                  variant.failed, variant.diagnosis, variant.free))
    for student, cost in INCOMPLETE:
        out[student.name] = (build_notebook(student), expectation(student.description, "incomplete", **cost))
    return out


def render(name, notebook, expected):
    return {HERE / f"{name}.ipynb": nbformat.writes(notebook, version=4) + "\n",
            HERE / f"{name}.expected.json": json.dumps(expected, indent=2, ensure_ascii=False) + "\n"}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report files that differ from what would be written")
    args = parser.parse_args(argv)
    files = {}
    for name, (notebook, expected) in submissions().items():
        files |= render(name, notebook, expected)
    stale = [p for p, text in files.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    known = {p for p in HERE.glob("*.ipynb")} | {p for p in HERE.glob("*.expected.json")}
    orphans = sorted(known - set(files))
    if args.check:
        for p in stale:
            print(f"{p.name} is stale: run python submissions/make_submissions.py")
        for p in orphans:
            print(f"{p.name} is not generated by this script")
        return 1 if stale or orphans else 0
    for p, text in files.items():
        p.write_text(text, encoding="utf-8")
    for p in orphans:
        print(f"note: {p.name} is not generated by this script")
    counts = {}
    for _, expected in submissions().values():
        counts[expected["kind"]] = counts.get(expected["kind"], 0) + 1
    print(f"wrote {len(files) // 2} submissions ({', '.join(f'{n} {k}' for k, n in sorted(counts.items()))}), "
          f"{len(stale)} changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
