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
