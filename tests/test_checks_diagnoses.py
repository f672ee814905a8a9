"""Failure messages that name a bug's likely cause, and bugs that an earlier grader let through: each check fails on
them. Each bug is a later cell of an otherwise correct notebook, as in tests/test_checks.py.
"""

import pytest
from grading import check_results, solution_code, with_cells

from grader.diagnose import group_hint

DIAGNOSED = {  # a bug whose check fails in any case, and the likely cause the message must name
    "loss at every step": (
        "lstm.loss",
        """
def forward_loss_every_step(self, x, y):
    for gate in self.gates:
        gate.clear_cache()
    h = c = np.zeros(self.hidden_size)
    self.steps, loss = [], 0.0
    for x_t in x:
        z, i, o = (gate.forward(x_t, h) for gate in self.gates)
        c = c + z * i
        h = np.tanh(c) * o
        self.steps.append((z, i, o, c))
        loss += bce(sigmoid(self.W_y @ h + self.b_y), y)
    self.h_T, self.y = h, y
    self.y_hat = sigmoid(self.W_y @ h + self.b_y)
    return loss
LSTM.forward = forward_loss_every_step
""",
        "every step",
    ),
    "off by one": (
        "lstm.loss",
        """
_forward = LSTM.forward
def forward_from_previous_h(self, x, y):
    return _forward(self, x[:-1], y) if len(x) > 1 else _forward(self, x, y)
LSTM.forward = forward_from_previous_h
""",
        "h(T-1)",
    ),
    "derivative of the output in the LSTM": (
        "lstm.bptt",
        """
def sigmoid_derivative(s):
    a = sigmoid(s)
    return sigmoid(a) * (1 - sigmoid(a))  # the derivative taken at the gate's output
""",
        "applied to its output",
    ),
    "bias left out when backward recomputes the pre-activation": (
        "lstm.bptt",
        """
def backward_recomputing_without_bias(self, grad_a):
    x, h, _ = self.cache.pop()
    delta = grad_a * self.activation_derivative(self.W @ x + self.R @ h)
    self.dW += np.outer(delta, x)
    self.dR += np.outer(delta, h)
    self.db += delta
    return self.W.T @ delta, self.R.T @ delta
Gate.backward = backward_recomputing_without_bias
""",
        "without the bias",
    ),
    "gate gradients added twice": (
        "lstm.bptt",
        """
_backward = LSTM.backward
def backward_adds_gate_gradients_again(self):
    before = [(g.dW.copy(), g.dR.copy(), g.db.copy()) for g in self.gates]
    _backward(self)
    for g, (dW, dR, db) in zip(self.gates, before):
        g.dW += g.dW - dW
        g.dR += g.dR - dR
        g.db += g.db - db
LSTM.backward = backward_adds_gate_gradients_again
""",
        "added twice",
    ),
    "update applied twice": (
        "lstm.update",
        """
_update = LSTM.update
def update_gates_twice(self, eta):
    for gate in self.gates:
        gate.update(eta)
    _update(self, eta)
LSTM.update = update_gates_twice
""",
        "applied twice",
    ),
    "full BPTT in RTRL": (
        "rtrl.gradient",
        """
_forward = LSTM_RTRL.forward
def forward_with_bptt(self, x_t, y=None):
    self.seen = getattr(self, "seen", []) + [x_t]
    y_hat = _forward(self, x_t, None)
    if y is not None:
        exact = LSTM(len(x_t), self.b_z.size, self.b_y.size)
        for g in GATES:
            for kind in "WRb":
                setattr(getattr(exact, g), kind, getattr(self, f"{kind}_{g}").copy())
        exact.W_y, exact.b_y = self.W_y.copy(), self.b_y.copy()
        exact.zero_grad()
        exact.forward(np.array(self.seen), y)
        exact.backward()
        for g in GATES:
            for kind in "WRb":
                getattr(self, f"d{kind}_{g}")[...] += getattr(getattr(exact, g), "d" + kind)
        self.dW_y += exact.dW_y
        self.db_y += exact.db_y
    return y_hat
_reset = LSTM_RTRL.reset
def reset_history(self):
    _reset(self)
    self.seen = []
LSTM_RTRL.forward = forward_with_bptt
LSTM_RTRL.reset = reset_history
""",
        "full BPTT",
    ),
}


@pytest.mark.parametrize("bug", sorted(DIAGNOSED))
def test_diagnosis_names_the_bug(bug):
    check_id, patch, phrase = DIAGNOSED[bug]
    result = check_results(with_cells(solution_code(), patch), {check_id})[check_id]
    assert not result.passed and phrase in result.message, result.message


HIDDEN = {  # bugs an earlier grader let through, each with the check that must now fail and words its message says
    "uniform noise of the right variance": (
        "data.distribution",
        """
def generate_data(T):
    while True:
        label = np.random.rand() < 0.5
        x = np.random.uniform(-np.sqrt(0.6), np.sqrt(0.6), size=(T, 1))  # variance 0.2, but not Gaussian
        x[0, 0] = 1.0 if label else -1.0
        yield x, np.array([float(label)])
""",
        "not Gaussian",
    ),
    "one parameter group initialised on [0, 0.01]": (
        "lstm.init",
        """
_init = LSTM.__init__
def init_positive_output_bias(self, *args):
    _init(self, *args)
    self.b_y = np.random.uniform(0.0, 0.01, self.b_y.shape)
LSTM.__init__ = init_positive_output_bias
""",
        "b_y",
    ),
    "NaN in a gradient": (
        "gate.backward_params",
        """
_backward = Gate.backward
def backward_nan_bias(self, grad_a):
    out = _backward(self, grad_a)
    self.db = self.db * np.nan
    return out
Gate.backward = backward_nan_bias
""",
        "differs from the reference",
    ),
    "BPTT truncated to the last 20 steps": (
        "lstm.bptt",
        """
def backward_window(self):
    e = self.y_hat - self.y
    self.dW_y += np.outer(e, self.h_T)
    self.db_y += e
    dh, dc_next = self.W_y.T @ e, np.zeros(self.hidden_size)
    for k, (z, i, o, c) in enumerate(reversed(self.steps)):
        tanh_c = np.tanh(c)
        dc = dh * o * (1.0 - tanh_c**2) + dc_next
        grads = (dc * i, dc * z, dh * tanh_c)
        backs = [gate.backward(g) for gate, g in zip(self.gates, grads)]
        dh, dc_next = (sum(b[1] for b in backs), dc) if k < 20 else (0 * dh, 0 * dc)
LSTM.backward = backward_window
""",
        "differs from the reference",
    ),
    "the cell's error clipped at 1": (
        "lstm.bptt",
        """
def backward_clipped(self):
    e = self.y_hat - self.y
    self.dW_y += np.outer(e, self.h_T)
    self.db_y += e
    dh, dc_next = self.W_y.T @ e, np.zeros(self.hidden_size)
    for z, i, o, c in reversed(self.steps):
        tanh_c = np.tanh(c)
        dc = np.clip(dh * o * (1.0 - tanh_c**2) + dc_next, -1.0, 1.0)
        grads = (dc * i, dc * z, dh * tanh_c)
        dh = sum(gate.backward(g)[1] for gate, g in zip(self.gates, grads))
        dc_next = dc
LSTM.backward = backward_clipped
""",
        "differs from the reference",
    ),
    "RTRL that keeps every step's state": (
        "rtrl.memory",
        """
_forward = LSTM_RTRL.forward
def forward_remembering(self, x_t, y=None):
    self.history = getattr(self, "history", []) + [(self.h.copy(), self.c.copy())]
    return _forward(self, x_t, y)
LSTM_RTRL.forward = forward_remembering
""",
        "per step",
    ),
    "a generator that yields one sequence per call": (
        "data.protocol",
        """
def generate_data(T):
    label = np.random.rand() < 0.5
    x = np.random.normal(0.0, np.sqrt(0.2), size=(T, 1))
    x[0, 0] = 1.0 if label else -1.0
    yield x, np.array([float(label)])
""",
        "stopped after 1",
    ),
}


@pytest.mark.parametrize("bug", sorted(HIDDEN))
def test_bugs_that_hide_from_small_problems_are_found(bug):
    check_id, patch, phrase = HIDDEN[bug]
    result = check_results(with_cells(solution_code(), patch), {check_id})[check_id]
    assert not result.passed and phrase in result.message, result.message


def test_a_generator_of_one_sequence_per_call_is_judged_on_all_it_gives():
    patch = HIDDEN["a generator that yields one sequence per call"][1]
    results = check_results(with_cells(solution_code(), patch), {"data.distribution", "data.independence"})
    assert all(r.passed for r in results.values()), [r.message for r in results.values()]


def test_bptt_hints_name_what_forward_stores_for_backward():
    """A wrong cache and a wrong backward spoil the BPTT gradient alike; RTRL keeps no cache."""
    assert "what forward stores for backward" in group_hint({"W_z", "b_z", "W_i"}, "bptt")
    assert "what forward stores for backward" in group_hint({"W_y", "b_y"}, "bptt")
    assert "what forward stores" not in group_hint({"W_z", "b_z"}, "rtrl")
