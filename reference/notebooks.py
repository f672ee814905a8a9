"""Generate the student template and the solution notebook from one description, so the two never drift.

    python -m reference.notebooks            # (re)write reference/template.ipynb and reference/solution.ipynb
    python -m reference.notebooks --check    # exit 1 if the checked-in files differ from what would be written

Both notebooks have the same cells, in the same order, with the same ids and tags; they differ only in the bodies
of the code the students write and in the written-answer cells. The solution's code is the reference itself,
read from reference/*.py with `inspect`/`ast` (so editing the reference and re-running this script updates the
solution notebook; tests/test_notebooks.py fails while the checked-in files are stale). No outputs are stored.

Tag scheme (cell.metadata["tags"]): every cell has exactly two tags.
  exercise-N   the exercise the cell belongs to, N = 1..11; exercise-0 is the preamble (title, model, setup).
  a role, one of
    text         the statement: what to do (Markdown). Same in both notebooks.
    setup        imports and the global seed (exercise-0). Same in both notebooks.
    given        code handed out ready-made (the activation functions). Same in both notebooks.
    code         code the student writes and the grader calls through the interface: stubs raising
                 NotImplementedError in the template, the reference in the solution.
    experiment   a training run with its printed result (exercises 7 and 11): a commented skeleton in the template
                 (it runs without calling anything), a short run in the solution. Graders may skip these cells.
    answer       a written answer (Markdown; exercises 1, 3, 8, 11): "*Your answer here.*" in the template,
                 a pointer to reference/answers.md in the solution.
Cell ids are "ex<NN>-<role>-<k>" (k counts cells of that exercise and role from 1), the same in both notebooks.

Methods of later exercises are defined as functions in their exercise's cell and attached to the class there
(`Gate.backward = backward`), so each exercise has a cell of its own and a broken cell spoils only its exercise.
The template never calls a stub: it executes top to bottom without errors (and does nothing useful).
"""
import argparse
import ast
import inspect
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import nbformat

from . import activations, data, gate, lstm, rtrl

HERE = Path(__file__).resolve().parent
TEMPLATE_PATH = HERE / "template.ipynb"
SOLUTION_PATH = HERE / "solution.ipynb"

ROLES = ("text", "setup", "given", "code", "experiment", "answer")
WRITTEN_EXERCISES = (1, 3, 8, 11)
EXERCISES = tuple(range(1, 12))
PLACEHOLDER = "*Your answer here.*"


@dataclass(frozen=True)
class Cell:
    exercise: int
    role: str
    template: str
    solution: str | None = None  # None: the same source in both notebooks

    @property
    def kind(self):
        return "markdown" if self.role in ("text", "answer") else "code"


# ------------------------------------------------------------------------------------------ reading the reference


def module_constants(module, *names):
    """The source of module-level assignments `NAME = ...`, in the order asked for."""
    source = inspect.getsource(module)
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = ast.get_source_segment(source, node)
    missing = [n for n in names if n not in found]
    if missing:
        raise LookupError(f"{module.__name__} has no module-level {missing}")
    return "\n".join(found[n] for n in names)


def function_source(function):
    return textwrap.dedent(inspect.getsource(function)).rstrip()


def member_source(cls, name):
    """A method or property of a reference class, as indented in the class body."""
    member = cls.__dict__[name]
    target = member.fget if isinstance(member, property) else member
    return inspect.getsource(target).rstrip()


def class_members(cls):
    """Names of the functions and properties a reference class defines itself."""
    return [name for name, member in cls.__dict__.items()
            if inspect.isfunction(member) or isinstance(member, property)]


# Which exercise defines which member of a reference class (the first exercise's cell holds the class statement).
SPLIT = {
    gate.Gate: {2: ["__init__", "clear_cache", "forward"], 4: ["zero_grad", "backward", "update"]},
    lstm.LSTM: {5: ["__init__", "gates", "forward"], 6: ["zero_grad", "backward", "update"]},
    rtrl.LSTM_RTRL: {9: ["__init__", "reset", "zero_grad", "update"],
                     10: ["pre_activation", "accumulate_sensitivities", "forward", "accumulate_gradient"]},
}


def check_split():
    for cls, parts in SPLIT.items():
        listed = [name for names in parts.values() for name in names]
        if sorted(listed) != sorted(class_members(cls)):
            raise LookupError(f"reference.notebooks.SPLIT does not list exactly the members of {cls.__name__}: "
                              f"listed {sorted(listed)}, defined {sorted(class_members(cls))}")


def solution_class(cls, exercise, prelude=""):
    """The class statement with the members of the class's first exercise."""
    body = "\n\n".join(member_source(cls, name) for name in SPLIT[cls][exercise])
    return (prelude + "\n\n\n" if prelude else "") + f"class {cls.__name__}:\n{body}"


def solution_attached(cls, exercise):
    """The members of a later exercise as functions, attached to the class at the end of the cell."""
    names = SPLIT[cls][exercise]
    functions = "\n\n\n".join(textwrap.dedent(member_source(cls, name)) for name in names)
    return functions + "\n\n\n" + attach_line(cls.__name__, names)


def attach_line(class_name, names):
    return "\n".join(f"{class_name}.{name} = {name}" for name in names)


# ------------------------------------------------------------------------------------------ the template's stubs


def stub(name, params, doc, exercise, indent=""):
    body = textwrap.indent(f'"""{doc}"""\n# TODO (exercise {exercise})\nraise NotImplementedError', "    ")
    return textwrap.indent(f"def {name}({params}):\n{body}", indent)


def template_class(class_name, methods, exercise, note):
    """A class statement whose methods are stubs; methods: (name, params, docstring)."""
    body = "\n\n".join(stub(name, params, doc, exercise, indent="    ") for name, params, doc in methods)
    return f"# {note}\nclass {class_name}:\n{body}"


def template_attached(class_name, methods, exercise):
    functions = "\n\n\n".join(stub(name, params, doc, exercise) for name, params, doc in methods)
    return (f"# Exercise {exercise}: complete these methods. The last lines attach them to {class_name}; keep them.\n"
            + functions + "\n\n\n" + attach_line(class_name, [name for name, _, _ in methods]))


# ------------------------------------------------------------------------------------------ the notebook's text

INTRO = r"""# LSTM from scratch: backpropagation through time and real-time recurrent learning

In this assignment you build the original Long Short-Term Memory network — the version **without a forget gate** —
in plain numpy. You write it three times over: as a reusable `Gate` module, as an `LSTM` trained by
backpropagation through time (BPTT), and as an `LSTM_RTRL` that learns online by real-time recurrent learning with
the truncated gradient of the LSTM learning method. You then test both learners on a task with a long time lag.

Exercises 1, 3 and 8, and the discussion in 11, are written: put your answer in the Markdown cell that says
"Your answer here" (LaTeX formulas are welcome). All other exercises are code.

**Ground rules for the code**
- Keep the class names, method names and signatures in the cells: they are how your code is called and graded.
  Helper methods, helper functions and extra attributes are fine.
- Use numpy only (matplotlib for plots). Draw random numbers from `np.random` and do not re-seed it.
- Before handing in, restart the kernel and run the notebook from top to bottom."""

MODEL = r"""## The model

Inputs $x(t) \in \mathbb{R}^D$ for $t = 1, \dots, T$; hidden and cell state $h(t), c(t) \in \mathbb{R}^I$ with
$h(0) = c(0) = 0$; output $\hat y \in \mathbb{R}^K$ (here $K = 1$). The network has three modules
$a \in \{z, i, o\}$ — the cell input $z$, the input gate $i$ and the output gate $o$ — each with its own
parameters $W_a \in \mathbb{R}^{I \times D}$, $R_a \in \mathbb{R}^{I \times I}$, $b_a \in \mathbb{R}^I$:

$$s_a(t) = W_a\, x(t) + R_a\, h(t-1) + b_a, \qquad
z(t) = \tanh(s_z(t)), \quad i(t) = \sigma(s_i(t)), \quad o(t) = \sigma(s_o(t)),$$

$$c(t) = c(t-1) + z(t) \odot i(t), \qquad h(t) = \tanh(c(t)) \odot o(t).$$

Only the last step produces an output, and the loss is the binary cross-entropy there:

$$\hat y(T) = \sigma\big(W_y\, h(T) + b_y\big), \qquad
L = -\big[\, y \log \hat y(T) + (1 - y) \log\big(1 - \hat y(T)\big) \big],$$

with $W_y \in \mathbb{R}^{K \times I}$, $b_y \in \mathbb{R}^K$. Here $\sigma$ is the logistic sigmoid and $\odot$
the elementwise product. Every parameter starts uniformly distributed in $[-0.01, 0.01]$.

The next cell imports what you need and seeds the random number generator once for the whole notebook."""

SETUP = """import time

import matplotlib.pyplot as plt
import numpy as np

np.random.seed(0xDEADBEEF)"""

EX1 = r"""## Exercise 1 — Why a plain recurrent network forgets (written)

Take the Jordan network of the previous assignment, which feeds its own output back as an input:
$a(t) = W x(t) + R\, \hat y(t-1) + b$ and $\hat y(t) = \varphi(a(t))$.

1. For $s < t$, write the Jacobian $\partial a(t) / \partial a(s)$ as a product of $t - s$ factors, one per step.
2. Bound its norm in terms of $R$ and $\varphi'$. Use the bound to argue that the Jacobian usually either shrinks
   or grows exponentially with the lag $t - s$.
3. What does this do to the part of the gradient that links the loss to an input many steps earlier? Explain why
   the network therefore cannot learn to bridge long time lags."""

EX2 = r"""## Exercise 2 — The gate module (code)

The three modules $z$, $i$, $o$ all compute $a = \varphi(W x + R h + b)$ and differ only in their parameters and
their activation $\varphi$. One class `Gate` can therefore serve for all three, with $\varphi$ passed in.

Implement in the class below:
- `__init__(input_size, hidden_size, activation, activation_derivative)`: keep the two functions; create
  `W` ($I \times D$), `R` ($I \times I$) and `b` (shape $(I,)$) with entries drawn uniformly from
  $[-0.01, 0.01]$ by `np.random`; create the gradient buffers `dW`, `dR`, `db` as zeros of the same shapes.
- `forward(x, h)`: for $x$ of shape $(D,)$ and $h$ of shape $(I,)$ return $a$ of shape $(I,)$, and remember what
  the backward pass of exercise 4 will need. A gate is used once per time step, so `forward` runs $T$ times before
  the first `backward`: keep one record per call.

`activation_derivative` takes the pre-activation $s = W x + R h + b$, not the activation $a$. The gate must work
with any such pair of functions, not only the two given in the next cell."""

EX3 = r"""## Exercise 3 — Gradients of a gate (written)

Let $s = W x + R h + b$ and $a = \varphi(s)$ be a single application of a gate, and suppose the gradient
$\nabla_a L$ of the loss with respect to its output is known. Derive $\nabla_W L$, $\nabla_R L$, $\nabla_b L$,
$\nabla_x L$ and $\nabla_h L$ and give the shape of each. Then say what changes when the same gate is applied at
every time step of a sequence."""

EX4 = r"""## Exercise 4 — The gate's backward pass (code)

Complete the gate with your results of exercise 3:
- `zero_grad()`: set `dW`, `dR`, `db` to zero.
- `backward(grad_a)`: take $\nabla_a L$ for the **most recent `forward` call not yet undone**, **add** that call's
  contribution to `dW`, `dR`, `db`, and return the pair $(\nabla_x L, \nabla_h L)$. Over a sequence, `backward` is
  called once per `forward` call, in the reverse order of the calls.
- `update(eta)`: one step of gradient descent with learning rate $\eta$ on `W`, `R`, `b`."""

EX5 = r"""## Exercise 5 — The LSTM's forward pass (code)

Implement:
- `LSTM.__init__(input_size, hidden_size, output_size=1)`: three `Gate`s as attributes `z` (cell input, $\tanh$),
  `i` (input gate, $\sigma$) and `o` (output gate, $\sigma$); the output layer `W_y` ($K \times I$) and `b_y`
  (shape $(K,)$), initialised like the gates; its gradient buffers `dW_y`, `db_y`.
- `LSTM.forward(x, y)`: `x` has shape $(T, D)$ and `y` shape $(K,)$. Every call is a new sequence: start from
  $h(0) = c(0) = 0$, run the $T$ steps of the model above, compute $\hat y(T)$ and return the loss $L$ as a
  Python `float`. Keep what exercise 6 needs to go back through the sequence."""

EX6 = r"""## Exercise 6 — Backpropagation through time (code)

Implement the full BPTT gradient:
- `backward()`: **add** the gradient of the loss of the most recent `forward` call to every gradient buffer (those
  of the three gates and `dW_y`, `db_y`). Let the gates' `backward` do their part.
- `zero_grad()` resets all buffers; `update(eta)` takes one gradient-descent step on all parameters.

Hints: with $e = \hat y(T) - y$, the output layer gives $\nabla_{W_y} L = e\, h(T)^\top$ and
$\partial L / \partial h(T) = W_y^\top e$. Going from $t = T$ down to $1$, the error at $h(t-1)$ is the sum of what
the three gates return for $h$, and the error at $c(t-1)$ receives the error at $c(t)$ unchanged, because
$c(t) = c(t-1) + z(t) \odot i(t)$."""

EX7 = r"""## Exercise 7 — Learning a long time lag (code and result)

The task is the 2-sequence problem (Bengio et al. 1994; task 3a of Hochreiter & Schmidhuber 1997 with one
input). A sequence has length $T$ and a single input line. Its first element is $x(1) = +1$ (class 1, target
$y = 1$) or $x(1) = -1$ (class 2, target $y = 0$), each with probability $1/2$. All later elements are Gaussian
noise with mean $0$ and **variance** $0.2$. The class is to be output at the end of the sequence, so the network
must carry the first input across $T - 1$ steps of noise.

1. Write `generate_data(T)`: a generator that yields pairs `(x, y)` forever, `x` of shape $(T, 1)$ and `y` of
   shape $(1,)$, drawing from `np.random`.
2. Train an `LSTM` with 32 hidden units on this task at $T = 100$ by plain gradient descent. Choose the
   learning rate and the number of training sequences yourself; you may update after every sequence or after a
   small batch (if you add up the gradients of a batch, scale the rate down accordingly).
3. Report the accuracy on 1000 fresh sequences: a sequence counts as correct when $\hat y(T)$ lies on the same side
   of $0.5$ as its target.

For orientation, the 1997 paper reports that its LSTM needed 58,370 training sequences on average at $T = 100$."""

EX7_EXPERIMENT_TEMPLATE = """# Exercise 7: train an LSTM(1, 32) at T = 100 and report its accuracy on 1000 fresh sequences.
T = 100
hidden_size = 32
# TODO: choose a learning rate and a number of training sequences, train, then evaluate."""

EX7_EXPERIMENT_SOLUTION = """# A short run that finishes in seconds: T = 10, one gradient-descent step per sequence.
# The full-scale experiment (T = 100, several seeds) is `python -m reference.experiments ex7`.
T = 10
hidden_size = 32
eta = 1.0
n_train = 2000

model = LSTM(1, hidden_size)
data = generate_data(T)
start = time.perf_counter()
losses = []
for _ in range(n_train):
    x, y = next(data)
    model.zero_grad()
    losses.append(model.forward(x, y))
    model.backward()
    model.update(eta)
seconds = time.perf_counter() - start

# The loss is -log of the probability given to the true class: below log 2 exactly when the prediction is right.
correct = sum(model.forward(x, y) < np.log(2.0) for x, y in (next(data) for _ in range(1000)))
print(f"LSTM (BPTT), T = {T}: {n_train} training sequences in {seconds:.1f} s; "
      f"accuracy on 1000 fresh sequences: {correct / 1000:.3f}")

window = 100
plt.plot(np.convolve(losses, np.ones(window) / window, mode="valid"))
plt.xlabel("training sequence")
plt.ylabel(f"loss (mean over {window} sequences)")
plt.title(f"BPTT, T = {T}")
plt.show()"""

EX8 = r"""## Exercise 8 — RTRL under the LSTM learning method (written)

From here on, train with the LSTM learning method: at step $t$ the gates see $h(t-1)$ as an external input, so no
error flows back through $R_a h(t-1)$, and only the cell state carries error back in time.

1. Show that under this truncation $c_n(t)$ depends on the parameters of $z$ and $i$ only through their row $n$,
   and derive the forward recursions of the sensitivities (all start at $0$):
   $$\frac{\partial c_n(t)}{\partial W_i[n,k]} = \frac{\partial c_n(t-1)}{\partial W_i[n,k]}
     + z_n(t)\, i_n(t) \big(1 - i_n(t)\big)\, x_k(t), \qquad
     \frac{\partial c_n(t)}{\partial W_z[n,k]} = \frac{\partial c_n(t-1)}{\partial W_z[n,k]}
     + i_n(t) \big(1 - z_n(t)^2\big)\, x_k(t),$$
   and the same for $R_a[n,k]$ with $h_k(t-1)$ in place of $x_k(t)$ and for $b_a[n]$ with $1$ in its place.
2. Explain how these sensitivities give the gradient of the loss at step $T$, and what the output gate and the
   output layer need instead.
3. State the time per step and the memory of this RTRL, and compare them with full RTRL and with BPTT."""

EX9 = r"""## Exercise 9 — An LSTM for RTRL: parameters and buffers (code)

This time do not use `Gate`: hold all parameters directly as attributes `W_z`, `R_z`, `b_z`, `W_i`, `R_i`, `b_i`,
`W_o`, `R_o`, `b_o`, `W_y`, `b_y` (shapes and initialisation as before), with gradient buffers named `dW_z`,
`dR_z`, …, `db_y`. Implement:
- `__init__(input_size, hidden_size, output_size=1)`;
- `reset()`: start a new sequence — $h$, $c$ and every sensitivity of exercise 8 to zero;
- `zero_grad()`: all gradient buffers to zero;
- `update(eta)`: one gradient-descent step on all parameters."""

EX10 = r"""## Exercise 10 — One step of RTRL (code)

Implement `forward(x_t, y=None)`, one time step for an input $x(t)$ of shape $(D,)$:
- compute $z(t)$, $i(t)$, $o(t)$, $c(t)$, $h(t)$ and return $\hat y(t) = \sigma(W_y h(t) + b_y)$ of shape $(K,)$;
- update the sensitivities with the recursions of exercise 8;
- if a target `y` (shape $(K,)$) is given, **add** the LSTM learning method's gradient of the binary cross-entropy
  of $\hat y(t)$ and `y` to the gradient buffers.

A sequence is processed by calling `reset()` once and then `forward` once per step, with the target given at the
last step only."""

EX11 = r"""## Exercise 11 — RTRL versus BPTT (code and written)

Train `LSTM_RTRL` on the task of exercise 7, starting at $T = 1$ and increasing $T$. What is the largest $T$ you
can learn at a cost you consider reasonable (say what you count as reasonable)? Compare with BPTT (exercise 7):
training sequences needed, time per sequence, memory. Explain what you observe."""

EX11_EXPERIMENT_TEMPLATE = """# Exercise 11: train LSTM_RTRL for T = 1, 2, ... and report the accuracy on 1000 fresh sequences for each T.
hidden_size = 32
# TODO: your experiments."""

EX11_EXPERIMENT_SOLUTION = """# A short run that finishes in seconds: RTRL at T = 10, one gradient-descent step per sequence.
# The sweep from T = 1 upwards, with BPTT alongside, is `python -m reference.experiments ex11`.
T = 10
hidden_size = 32
eta = 0.5
n_train = 3000


def run_sequence(model, x, y=None):
    \"\"\"Feed x (T, D) step by step from a fresh state, with the target (if any) at the last step; return y_hat(T).\"\"\"
    model.reset()
    for t, x_t in enumerate(x):
        y_hat = model.forward(x_t, y if t == len(x) - 1 else None)
    return y_hat


rtrl_model = LSTM_RTRL(1, hidden_size)
data = generate_data(T)
start = time.perf_counter()
for _ in range(n_train):
    x, y = next(data)
    rtrl_model.zero_grad()
    run_sequence(rtrl_model, x, y)
    rtrl_model.update(eta)
seconds = time.perf_counter() - start

correct = sum((run_sequence(rtrl_model, x)[0] > 0.5) == (y[0] > 0.5) for x, y in (next(data) for _ in range(1000)))
print(f"LSTM_RTRL, T = {T}: {n_train} training sequences in {seconds:.1f} s; "
      f"accuracy on 1000 fresh sequences: {correct / 1000:.3f}")"""


def answer(exercise):
    return Cell(exercise, "answer", PLACEHOLDER,
                f"*Reference answer: `reference/answers.md`, section \u201cExercise {exercise}\u201d.*")


# ------------------------------------------------------------------------------------------ the interface's stubs

GATE_EX2 = [
    ("__init__", "self, input_size, hidden_size, activation, activation_derivative",
     "Parameters W (I, D), R (I, I), b (I,) uniform in [-0.01, 0.01]; gradient buffers dW, dR, db."),
    ("forward", "self, x, h", "Return a = activation(W x + R h + b); remember what backward needs."),
]
GATE_EX4 = [
    ("zero_grad", "self", "Set dW, dR, db to zero."),
    ("backward", "self, grad_a",
     "Undo the latest forward call not yet undone: add to dW, dR, db; return (grad_x, grad_h)."),
    ("update", "self, eta", "One gradient-descent step with learning rate eta."),
]
LSTM_EX5 = [
    ("__init__", "self, input_size, hidden_size, output_size=1",
     "Gates z (tanh), i (sigmoid), o (sigmoid); output layer W_y (K, I), b_y (K,); buffers dW_y, db_y."),
    ("forward", "self, x, y",
     "A new sequence x (T, D) from h(0) = c(0) = 0; return the cross-entropy (float) of y_hat(T) and y (K,)."),
]
LSTM_EX6 = [
    ("zero_grad", "self", "Set every gradient buffer (the gates' and dW_y, db_y) to zero."),
    ("backward", "self", "Add the BPTT gradient of the latest forward call's loss to every buffer."),
    ("update", "self, eta", "One gradient-descent step on every parameter."),
]
RTRL_EX9 = [
    ("__init__", "self, input_size, hidden_size, output_size=1",
     "Parameters W_z, R_z, b_z, W_i, R_i, b_i, W_o, R_o, b_o, W_y, b_y and buffers dW_z, ..., db_y."),
    ("reset", "self", "A new sequence: h, c and every sensitivity to zero."),
    ("zero_grad", "self", "Set every gradient buffer to zero."),
    ("update", "self, eta", "One gradient-descent step on every parameter."),
]
RTRL_EX10 = [
    ("forward", "self, x_t, y=None",
     "One step x_t (D,): update h, c and the sensitivities; return y_hat(t) (K,).\n"
     "With a target y (K,), add the LSTM learning method's gradient of the loss at this step to the buffers."),
]
GENERATE_DATA = '''def generate_data(T):
    """Yield (x, y) forever: x of shape (T, 1), y of shape (1,), as described above."""
    # TODO (exercise 7)
    raise NotImplementedError'''


# ------------------------------------------------------------------------------------------ the notebook


def cells():
    """The one description both notebooks are made from."""
    check_split()
    given_activations = "\n\n\n".join(function_source(f) for f in (
        activations.sigmoid, activations.sigmoid_derivative, activations.tanh, activations.tanh_derivative))
    gate_prelude = module_constants(gate, "INIT_SCALE") + "\n\n\n" + function_source(gate.uniform_init)
    rtrl_prelude = module_constants(rtrl, "GATES", "PARAMS", "CARRIED")
    data_solution = module_constants(data, "NOISE_VARIANCE") + "\n\n\n" + function_source(data.generate_data)
    return [
        Cell(0, "text", INTRO),
        Cell(0, "text", MODEL),
        Cell(0, "setup", SETUP),
        Cell(1, "text", EX1),
        answer(1),
        Cell(2, "text", EX2),
        Cell(2, "given", "# Given: activation functions; each derivative takes the pre-activation s.\n"
             + given_activations),
        Cell(2, "code", template_class("Gate", GATE_EX2, 2, "Exercise 2 (the methods of exercise 4 follow there)."),
             solution_class(gate.Gate, 2, gate_prelude)),
        Cell(3, "text", EX3),
        answer(3),
        Cell(4, "text", EX4),
        Cell(4, "code", template_attached("Gate", GATE_EX4, 4), solution_attached(gate.Gate, 4)),
        Cell(5, "text", EX5),
        Cell(5, "code", template_class("LSTM", LSTM_EX5, 5, "Exercise 5 (the methods of exercise 6 follow there)."),
             solution_class(lstm.LSTM, 5, function_source(activations.bce))),
        Cell(6, "text", EX6),
        Cell(6, "code", template_attached("LSTM", LSTM_EX6, 6), solution_attached(lstm.LSTM, 6)),
        Cell(7, "text", EX7),
        Cell(7, "code", GENERATE_DATA, data_solution),
        Cell(7, "experiment", EX7_EXPERIMENT_TEMPLATE, EX7_EXPERIMENT_SOLUTION),
        Cell(8, "text", EX8),
        answer(8),
        Cell(9, "text", EX9),
        Cell(9, "code", template_class("LSTM_RTRL", RTRL_EX9, 9,
                                       "Exercise 9 (forward, exercise 10, follows there)."),
             solution_class(rtrl.LSTM_RTRL, 9, rtrl_prelude)),
        Cell(10, "text", EX10),
        Cell(10, "code", template_attached("LSTM_RTRL", RTRL_EX10, 10), solution_attached(rtrl.LSTM_RTRL, 10)),
        Cell(11, "text", EX11),
        Cell(11, "experiment", EX11_EXPERIMENT_TEMPLATE, EX11_EXPERIMENT_SOLUTION),
        answer(11),
    ]


def build(which):
    """The template ("template") or solution ("solution") notebook as an nbformat node."""
    if which not in ("template", "solution"):
        raise ValueError(which)
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    counts = {}
    for cell in cells():
        assert cell.role in ROLES, cell.role
        key = (cell.exercise, cell.role)
        counts[key] = counts.get(key, 0) + 1
        source = cell.solution if which == "solution" and cell.solution is not None else cell.template
        fields = dict(source=source, id=f"ex{cell.exercise:02d}-{cell.role}-{counts[key]}",
                      metadata={"tags": [f"exercise-{cell.exercise}", cell.role]})
        if cell.kind == "markdown":
            nb.cells.append(nbformat.v4.new_markdown_cell(**fields))
        else:
            nb.cells.append(nbformat.v4.new_code_cell(**fields))
    nbformat.validate(nb)
    return nb


def render(which):
    """The exact text of the .ipynb file."""
    return nbformat.writes(build(which), version=4) + "\n"


def targets():
    return {TEMPLATE_PATH: render("template"), SOLUTION_PATH: render("solution")}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m reference.notebooks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report whether the checked-in files are stale")
    args = parser.parse_args(argv)
    stale = [path for path, text in targets().items()
             if not path.exists() or path.read_text(encoding="utf-8") != text]
    if args.check:
        for path in stale:
            print(f"{path.name} is stale: run python -m reference.notebooks")
        return 1 if stale else 0
    for path, text in targets().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(HERE.parent)}" + ("" if path in stale else " (unchanged)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
