"""Notebooks a fresh examiner wrote that the grader once judged wrongly: wrong code that kept full marks, and correct
code in other styles that lost points. Each is a later cell of the solution notebook, as students patch their code."""

import numpy as np
import pytest
from grading import check_results, solution_code, with_cells

from grader.checks import CHECKS
from grader.kernel.scenarios import held_numbers

# Wrong code: each must lose the named check, whose message names the bug.
PAST_THE_CHECKS = {
    "generate_data seeds itself, so a test set repeats the training set": (
        """
_generate = generate_data
def generate_data(T, rng=np.random):
    np.random.seed(0xDEADBEEF)
    yield from _generate(T, rng)
""",
        "data.independence",
        "seed once",
    ),
    "update with momentum (only a second update shows it)": (
        """
def update_with_momentum(self, eta):
    for name in ("W", "R", "b"):
        velocity = 0.5 * getattr(self, "velocity_" + name, 0.0) + getattr(self, "d" + name)
        setattr(self, "velocity_" + name, velocity)
        getattr(self, name)[...] -= eta * velocity
Gate.update = update_with_momentum
""",
        "gate.update",
        "momentum",
    ),
    "LSTM_RTRL update with momentum": (
        """
def update_with_momentum(self, eta):
    for name in PARAMS:
        velocity = 0.5 * getattr(self, "velocity_" + name, 0.0) + getattr(self, "d" + name)
        setattr(self, "velocity_" + name, velocity)
        getattr(self, name)[...] -= eta * velocity
LSTM_RTRL.update = update_with_momentum
""",
        "rtrl.update",
        "momentum",
    ),
    "LSTM reads h(T) from a buffer sized by the longest sequence so far": (
        """
_forward = LSTM.forward
def forward_with_kept_buffer(self, x, y):
    _forward(self, x, y)
    if not hasattr(self, "H") or len(self.H) < len(x):
        self.H = np.zeros((len(x), self.hidden_size))
    for t, (z, i, o, c) in enumerate(self.steps):
        self.H[t] = np.tanh(c) * o
    self.h_T = self.H[-1]
    self.y_hat = sigmoid(self.W_y @ self.h_T + self.b_y)
    return bce(self.y_hat, y)
LSTM.forward = forward_with_kept_buffer
""",
        "lstm.state_reset",
        "reset h and c",
    ),
    "LSTM_RTRL clears its sensitivities after a target, not in reset": (
        """
def reset_keeping_sensitivities(self):
    self.h = np.zeros(self.b_z.shape)
    self.c = np.zeros(self.b_z.shape)
    if not hasattr(self, "S"):
        self.S = {name: np.zeros_like(getattr(self, name)) for name in CARRIED}
_forward = LSTM_RTRL.forward
def forward_clearing_after_target(self, x_t, y=None):
    y_hat = _forward(self, x_t, y)
    if y is not None:
        self.S = {name: np.zeros_like(getattr(self, name)) for name in CARRIED}
    return y_hat
LSTM_RTRL.reset = reset_keeping_sensitivities
LSTM_RTRL.forward = forward_clearing_after_target
""",
        "rtrl.reset",
        "every sensitivity",
    ),
    "float16 outputs hiding h(t) in place of h(t-1) in the sensitivities": (
        """
def sensitivities_of_h_now(self, x, h_prev, z, i):
    h_now = np.tanh(self.c) * sigmoid(self.pre_activation("o", x, h_prev))
    for g, dc_ds in (("z", i * (1.0 - z**2)), ("i", z * i * (1.0 - i))):
        self.S[f"W_{g}"] += np.outer(dc_ds, x)
        self.S[f"R_{g}"] += np.outer(dc_ds, h_now)
        self.S[f"b_{g}"] += dc_ds
_forward = LSTM_RTRL.forward
def forward_in_half(self, x_t, y=None):
    return _forward(self, x_t, y).astype(np.float16)
LSTM_RTRL.accumulate_sensitivities = sensitivities_of_h_now
LSTM_RTRL.forward = forward_in_half
""",
        "rtrl.gradient",
        "coarser than float32",
    ),
    "LSTM_RTRL keeps every step's inputs in a deque (memory that grows with T)": (
        """
from collections import deque
_reset = LSTM_RTRL.reset
def reset_with_history(self):
    _reset(self)
    self.history = deque()
_forward = LSTM_RTRL.forward
def forward_keeping_history(self, x_t, y=None):
    self.history.append(x_t)
    return _forward(self, x_t, y)
LSTM_RTRL.reset = reset_with_history
LSTM_RTRL.forward = forward_keeping_history
""",
        "rtrl.memory",
        "more per step",
    ),
    "LSTM starts from the state the last forward left, reset only by backward": (
        """
def forward_from_kept_state(self, x, y):
    for gate in self.gates:
        gate.clear_cache()
    h, c = getattr(self, "h_kept", np.zeros(self.hidden_size)), getattr(self, "c_kept", np.zeros(self.hidden_size))
    self.steps = []
    for x_t in x:
        z, i, o = (gate.forward(x_t, h) for gate in self.gates)
        c = c + z * i
        h = np.tanh(c) * o
        self.steps.append((z, i, o, c))
    self.h_kept, self.c_kept, self.h_T, self.y = h, c, h, y
    self.y_hat = sigmoid(self.W_y @ h + self.b_y)
    return bce(self.y_hat, y)
_backward = LSTM.backward
def backward_then_reset(self):
    _backward(self)
    self.h_kept = self.c_kept = np.zeros(self.hidden_size)
LSTM.forward = forward_from_kept_state
LSTM.backward = backward_then_reset
""",
        "lstm.state_reset",
        "reset h and c",
    ),
    "LSTM's records of the steps cleared by backward, so an evaluation's steps join the next backward": (
        """
def forward_keeping_records(self, x, y):
    self.steps = getattr(self, "steps", [])
    h = c = np.zeros(self.hidden_size)
    for x_t in x:
        z, i, o = (gate.forward(x_t, h) for gate in self.gates)
        c = c + z * i
        h = np.tanh(c) * o
        self.steps.append((z, i, o, c))
    self.h_T, self.y = h, y
    self.y_hat = sigmoid(self.W_y @ h + self.b_y)
    return bce(self.y_hat, y)
_backward = LSTM.backward
def backward_consuming_records(self):
    _backward(self)
    self.steps = []
LSTM.forward = forward_keeping_records
LSTM.backward = backward_consuming_records
""",
        "lstm.accumulate",
        "forward-only call",
    ),
    "Gate.update clips the gradient to [-5, 5]": (
        """
def update_clipped(self, eta):
    self.W -= eta * np.clip(self.dW, -5, 5)
    self.R -= eta * np.clip(self.dR, -5, 5)
    self.b -= eta * np.clip(self.db, -5, 5)
Gate.update = update_clipped
""",
        "gate.update",
        "wrongly",
    ),
    "LSTM_RTRL starts the sequence anew after every target": (
        """
_forward = LSTM_RTRL.forward
def forward_resetting_at_a_target(self, x_t, y=None):
    y_hat = _forward(self, x_t, y)
    if y is not None:
        self.reset()
    return y_hat
LSTM_RTRL.forward = forward_resetting_at_a_target
""",
        "rtrl.gradient",
        "targets at steps 2, 4 and 6",
    ),
    "Gate keeps its records of forward calls in a list shared by the class": (
        """
Gate.cache = []
def init_with_shared_cache(self, input_size, hidden_size, activation, activation_derivative, rng=np.random):
    self.activation, self.activation_derivative = activation, activation_derivative
    self.W = uniform_init(rng, hidden_size, input_size)
    self.R = uniform_init(rng, hidden_size, hidden_size)
    self.b = uniform_init(rng, hidden_size)
    self.zero_grad()
def clear_shared_cache(self):
    self.cache.clear()
Gate.__init__ = init_with_shared_cache
Gate.clear_cache = clear_shared_cache
""",
        "gate.backward_params",
        "a list shared by the class",
    ),
    "LSTM_RTRL.reset also zeroes the gradient, so a minibatch keeps only its last sequence's": (
        """
_reset = LSTM_RTRL.reset
def reset_and_zero_grad(self):
    _reset(self)
    self.zero_grad()
LSTM_RTRL.reset = reset_and_zero_grad
""",
        "rtrl.reset",
        "gradient must add up",
    ),
    "LSTM ignores output_size: one output whatever K": (
        """
_init = LSTM.__init__
def init_with_one_output(self, input_size, hidden_size, output_size=1, rng=np.random):
    _init(self, input_size, hidden_size, 1, rng)
LSTM.__init__ = init_with_one_output
""",
        "lstm.init",
        "output_size sets K",
    ),
    "LSTM's dL/ds_y as dL/dŷ · σ'(s_y), NaN once ŷ rounds to 1": (
        """
_backward = LSTM.backward
def backward_through_y_hat(self):
    dL_dyhat = -self.y / self.y_hat + (1.0 - self.y) / (1.0 - self.y_hat)
    self.y_hat = self.y + dL_dyhat * sigmoid_derivative(self.W_y @ self.h_T + self.b_y)  # read back as e = ŷ - y
    _backward(self)
LSTM.backward = backward_through_y_hat
""",
        "lstm.bptt",
        "saturated output",
    ),
}


@pytest.mark.parametrize("bug", sorted(PAST_THE_CHECKS))
def test_a_bug_that_once_kept_full_marks_now_loses_its_check(bug):
    patch, check_id, phrase = PAST_THE_CHECKS[bug]
    result = check_results(with_cells(solution_code(), patch), {check_id})[check_id]
    assert not result.passed, f"{check_id} passed: {bug}"
    assert phrase in result.message, result.message


# Correct code: each must keep every point (the training checks included).
CORRECT_IN_OTHER_STYLES = {
    "Gate's W, R, b and their gradients as properties over stacked matrices [W R b]": """
class Gate:
    def __init__(self, input_size, hidden_size, activation, activation_derivative, rng=np.random):
        self.activation, self.activation_derivative, self.D = activation, activation_derivative, input_size
        W, R = uniform_init(rng, hidden_size, input_size), uniform_init(rng, hidden_size, hidden_size)
        self.theta = np.hstack([W, R, uniform_init(rng, hidden_size)[:, None]])
        self.grad = np.zeros_like(self.theta)
        self.cache = []

    W = property(lambda self: self.theta[:, : self.D])
    R = property(lambda self: self.theta[:, self.D : -1])
    b = property(lambda self: self.theta[:, -1])
    dW = property(lambda self: self.grad[:, : self.D])
    dR = property(lambda self: self.grad[:, self.D : -1])
    db = property(lambda self: self.grad[:, -1])

    def clear_cache(self):
        self.cache = []

    def forward(self, x, h):
        v = np.concatenate([x, h, [1.0]])
        s = self.theta @ v
        self.cache.append((v, s))
        return self.activation(s)

    def backward(self, grad_a):
        v, s = self.cache.pop()
        delta = grad_a * self.activation_derivative(s)
        self.grad += np.outer(delta, v)
        back = self.theta.T @ delta
        return back[: self.D], back[self.D : -1]

    def zero_grad(self):
        self.grad = np.zeros_like(self.theta)

    def update(self, eta):
        self.theta -= eta * self.grad
""",
    "Gate's parameters and buffers also held in lists, zeroed and updated in place through them": """
class Gate:
    def __init__(self, input_size, hidden_size, activation, activation_derivative, rng=np.random):
        self.activation, self.activation_derivative = activation, activation_derivative
        self.W = uniform_init(rng, hidden_size, input_size)
        self.R = uniform_init(rng, hidden_size, hidden_size)
        self.b = uniform_init(rng, hidden_size)
        self.dW, self.dR, self.db = np.zeros_like(self.W), np.zeros_like(self.R), np.zeros_like(self.b)
        self.params, self.grads = [self.W, self.R, self.b], [self.dW, self.dR, self.db]
        self.cache = []

    def clear_cache(self):
        self.cache = []

    def forward(self, x, h):
        s = self.W @ x + self.R @ h + self.b
        self.cache.append((x, h, s))
        return self.activation(s)

    def backward(self, grad_a):
        x, h, s = self.cache.pop()
        delta = grad_a * self.activation_derivative(s)
        self.dW += np.outer(delta, x)
        self.dR += np.outer(delta, h)
        self.db += delta
        return self.W.T @ delta, self.R.T @ delta

    def zero_grad(self):
        for grad in self.grads:
            grad.fill(0.0)

    def update(self, eta):
        for param, grad in zip(self.params, self.grads):
            param -= eta * grad
""",
    "the LSTM's gates of subclasses TanhGate and SigmoidGate of Gate": """
class TanhGate(Gate):
    def __init__(self, input_size, hidden_size, rng=np.random):
        super().__init__(input_size, hidden_size, tanh, tanh_derivative, rng)


class SigmoidGate(Gate):
    def __init__(self, input_size, hidden_size, rng=np.random):
        super().__init__(input_size, hidden_size, sigmoid, sigmoid_derivative, rng)


def init_with_subclasses(self, input_size, hidden_size, output_size=1, rng=np.random):
    self.z = TanhGate(input_size, hidden_size, rng)
    self.i = SigmoidGate(input_size, hidden_size, rng)
    self.o = SigmoidGate(input_size, hidden_size, rng)
    self.W_y = uniform_init(rng, output_size, hidden_size)
    self.b_y = uniform_init(rng, output_size)
    self.hidden_size = hidden_size
    self.zero_grad()
LSTM.__init__ = init_with_subclasses
""",
    "LSTM_RTRL's parameters and buffers as properties viewing one flat vector θ and its gradient": """
class FlatRTRL(LSTM_RTRL):
    def __init__(self, input_size, hidden_size, output_size=1, rng=np.random):
        I, D, K = hidden_size, input_size, output_size
        shapes = {f"{kind}_{g}": s for g in GATES for kind, s in (("W", (I, D)), ("R", (I, I)), ("b", (I,)))}
        shapes |= {"W_y": (K, I), "b_y": (K,)}
        ends = np.cumsum([int(np.prod(s)) for s in shapes.values()])
        self.layout = {n: (end - int(np.prod(s)), end, s) for (n, s), end in zip(shapes.items(), ends)}
        self.theta = np.concatenate([uniform_init(rng, *s).ravel() for s in shapes.values()])
        self.grad = np.zeros_like(self.theta)
        self.reset()

    def zero_grad(self):
        self.grad[...] = 0.0

    def update(self, eta):
        self.theta -= eta * self.grad


def flat_view(name, vector):
    def view(self):
        start, end, shape = self.layout[name]
        return getattr(self, vector)[start:end].reshape(shape)

    def assign(self, value):
        view(self)[...] = value

    return property(view, assign)


for name in PARAMS:
    setattr(FlatRTRL, name, flat_view(name, "theta"))
    setattr(FlatRTRL, "d" + name, flat_view(name, "grad"))
LSTM_RTRL = FlatRTRL
""",
    "Gate's W, R, b and dW, dR, db served by __getattr__ from NamedTuple records": """
from typing import NamedTuple


class Record(NamedTuple):
    W: np.ndarray
    R: np.ndarray
    b: np.ndarray


_Gate = Gate
class Gate:
    def __init__(self, input_size, hidden_size, activation, activation_derivative, rng=np.random):
        self.activation, self.activation_derivative, self.cache = activation, activation_derivative, []
        W, R = uniform_init(rng, hidden_size, input_size), uniform_init(rng, hidden_size, hidden_size)
        self.param = Record(W, R, uniform_init(rng, hidden_size))
        self.zero_grad()

    def __getattr__(self, name):
        record = "grad" if name.startswith("d") else "param"
        if name.removeprefix("d") in Record._fields and record in self.__dict__:
            return getattr(self.__dict__[record], name.removeprefix("d"))
        raise AttributeError(name)

    def __setattr__(self, name, value):
        if name.removeprefix("d") in Record._fields:
            record = "grad" if name.startswith("d") else "param"
            value = self.__dict__[record]._replace(**{name.removeprefix("d"): value})
            name = record
        object.__setattr__(self, name, value)

    clear_cache, forward, backward = _Gate.clear_cache, _Gate.forward, _Gate.backward

    def zero_grad(self):
        self.grad = Record(*(np.zeros_like(p) for p in self.param))

    def update(self, eta):
        self.param = Record(*(p - eta * g for p, g in zip(self.param, self.grad)))
""",
    "Gate with __slots__ (no __dict__)": """
_Gate = Gate
class Gate:
    __slots__ = ("activation", "activation_derivative", "W", "R", "b", "dW", "dR", "db", "cache")
    __init__, clear_cache, forward = _Gate.__init__, _Gate.clear_cache, _Gate.forward
    backward, zero_grad, update = _Gate.backward, _Gate.zero_grad, _Gate.update
""",
}


@pytest.mark.slow
@pytest.mark.parametrize("style", sorted(CORRECT_IN_OTHER_STYLES))
def test_correct_code_in_another_style_keeps_every_point(style):
    results = check_results(with_cells(solution_code(), CORRECT_IN_OTHER_STYLES[style]), {c.id for c in CHECKS})
    assert [f"{r.id}: {r.message}" for r in results.values() if not r.passed] == []


class Slotted:
    __slots__ = ("sensitivities", "h")

    def __init__(self):
        self.sensitivities, self.h = [np.zeros((3, 4)), np.zeros(3)], np.zeros(3)


def test_memory_counts_the_numbers_held_in_slots():
    assert held_numbers(Slotted()) == 12 + 3 + 3
