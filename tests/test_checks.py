"""Every check fails on a submission with its targeted bug, with a message naming the bug; the solution passes all.

Each bug is a later cell of an otherwise correct notebook, the way students patch their own code.
"""

import pytest
from grading import check_results, solution_code, with_cells

from grader.checks import CHECKS

GATE_PARAMS = "    self.W = {0}\n    self.R = {1}\n    self.b = {2}\n"
BUGS = {  # check id -> (the student's later cell, a phrase the failure message must contain)
    "gate.shapes": (
        """
_init = Gate.__init__
def init_square_R(self, input_size, hidden_size, activation, activation_derivative):
    _init(self, input_size, hidden_size, activation, activation_derivative)
    self.R = np.random.uniform(-0.01, 0.01, (input_size, input_size))  # R should be hidden x hidden
Gate.__init__ = init_square_R
""",
        "R",
    ),
    "gate.init": (
        """
_init = Gate.__init__
def init_positive(self, *args):
    _init(self, *args)
    self.W, self.R, self.b = (np.random.uniform(0, 0.01, a.shape) for a in (self.W, self.R, self.b))
Gate.__init__ = init_positive
""",
        "not spread uniformly",
    ),
    "gate.forward": (
        """
def forward_without_bias(self, x, h):
    s = self.W @ x + self.R @ h
    self.cache.append((x, h, s))
    return self.activation(s)
Gate.forward = forward_without_bias
""",
        "Gate.forward differs",
    ),
    "gate.activation": (
        """
def forward_always_tanh(self, x, h):
    s = self.W @ x + self.R @ h + self.b
    self.cache.append((x, h, s))
    return self.activation(s) if self.activation in (tanh, sigmoid) else np.tanh(s)
Gate.forward = forward_always_tanh
""",
        "softsign",
    ),
    "gate.backward_inputs": (
        """
_backward = Gate.backward
def backward_output_derivative(self, grad_a):
    x, h, s = self.cache[-1]
    gx, gh = _backward(self, grad_a)
    delta = grad_a * self.activation_derivative(self.activation(s))
    return self.W.T @ delta, self.R.T @ delta
Gate.backward = backward_output_derivative
""",
        "applied to its output",
    ),
    "gate.backward_params": (
        """
def backward_overwrites(self, grad_a):
    x, h, s = self.cache.pop()
    delta = grad_a * self.activation_derivative(s)
    self.dW = np.outer(delta, x)
    self.dR = np.outer(delta, h)
    self.db = delta
    return self.W.T @ delta, self.R.T @ delta
Gate.backward = backward_overwrites
""",
        "accumulated gradient",
    ),
    "gate.finite_differences": (
        """
def backward_output_derivative(self, grad_a):
    x, h, s = self.cache.pop()
    delta = grad_a * self.activation_derivative(self.activation(s))
    self.dW += np.outer(delta, x)
    self.dR += np.outer(delta, h)
    self.db += delta
    return self.W.T @ delta, self.R.T @ delta
Gate.backward = backward_output_derivative
""",
        "finite differences",
    ),
    "gate.zero_grad": (
        """
def zero_grad_forgets_bias(self):
    self.dW = np.zeros_like(self.W)
    self.dR = np.zeros_like(self.R)
    if not hasattr(self, "db"):
        self.db = np.zeros_like(self.b)
Gate.zero_grad = zero_grad_forgets_bias
""",
        "gradient of b is not zero",
    ),
    "gate.update": (
        """
def update_ascent(self, eta):
    self.W += eta * self.dW
    self.R += eta * self.dR
    self.b += eta * self.db
Gate.update = update_ascent
""",
        "gradient ascent",
    ),
    "lstm.init": (
        """
_init = LSTM.__init__
def init_normal_output(self, *args):
    _init(self, *args)
    self.W_y = np.random.randn(*self.W_y.shape) * 0.1
LSTM.__init__ = init_normal_output
""",
        "[-0.01, 0.01]",
    ),
    "lstm.loss": (
        """
def bce(y_hat, y):
    return float(np.sum(y * np.log(y_hat) + (1.0 - y) * np.log(1.0 - y_hat)))
""",
        "wrong sign",
    ),
    "lstm.state_reset": (
        """
def forward_keeps_state(self, x, y):
    for gate in self.gates:
        gate.clear_cache()
    h, c = getattr(self, "h_last", np.zeros(self.hidden_size)), getattr(self, "c_last", np.zeros(self.hidden_size))
    self.steps = []
    for x_t in x:
        z, i, o = (gate.forward(x_t, h) for gate in self.gates)
        c = c + z * i
        h = np.tanh(c) * o
        self.steps.append((z, i, o, c))
    self.h_last, self.c_last = h, c
    self.h_T = h
    self.y_hat = sigmoid(self.W_y @ h + self.b_y)
    self.y = y
    return bce(self.y_hat, y)
LSTM.forward = forward_keeps_state
""",
        "reset h and c",
    ),
    "lstm.bptt": (
        """
def backward_no_carry(self):
    e = self.y_hat - self.y
    self.dW_y += np.outer(e, self.h_T)
    self.db_y += e
    dh = self.W_y.T @ e
    for z, i, o, c in reversed(self.steps):
        tanh_c = np.tanh(c)
        dc = dh * o * (1.0 - tanh_c**2)  # forgot + dc_next
        grads = (dc * i, dc * z, dh * tanh_c)
        dh = sum(gate.backward(g)[1] for gate, g in zip(self.gates, grads))
LSTM.backward = backward_no_carry
""",
        "differs from the reference",
    ),
    "lstm.finite_differences": (
        """
_backward = LSTM.backward
def backward_twice(self):
    _backward(self)
    self.dW_y += np.outer(self.y_hat - self.y, self.h_T)
LSTM.backward = backward_twice
""",
        "finite differences",
    ),
    "lstm.accumulate": (
        """
_backward = LSTM.backward
def backward_resets(self):
    self.zero_grad()
    _backward(self)
LSTM.backward = backward_resets
""",
        "+=",
    ),
    "lstm.zero_grad": (
        """
def zero_grad_keeps_output_layer(self):
    for gate in self.gates:
        gate.zero_grad()
    if not hasattr(self, "dW_y"):
        self.dW_y, self.db_y = np.zeros_like(self.W_y), np.zeros_like(self.b_y)
LSTM.zero_grad = zero_grad_keeps_output_layer
""",
        "is not zero",
    ),
    "lstm.update": (
        """
def update_output_ascent(self, eta):
    for gate in self.gates:
        gate.update(eta)
    self.W_y += eta * self.dW_y
    self.b_y += eta * self.db_y
LSTM.update = update_output_ascent
""",
        "gradient ascent",
    ),
    "data.protocol": (
        """
_generate = generate_data
def generate_data(T):
    source = _generate(T)
    return [next(source) for _ in range(5000)]
""",
        "generator",
    ),
    "data.distribution": (
        """
def generate_data(T):
    while True:
        label = np.random.rand() < 0.5
        x = np.random.normal(0.0, 0.2, size=(T, 1))
        x[0, 0] = 1.0 if label else -1.0
        yield x, np.array([float(label)])
""",
        "standard deviation 0.2",
    ),
    "data.independence": (
        """
def generate_data(T):
    label = True
    while True:
        label = not label  # alternates instead of being drawn
        x = np.random.normal(0.0, np.sqrt(0.2), size=(T, 1))
        x[0, 0] = 1.0 if label else -1.0
        yield x, np.array([float(label)])
""",
        "correlated",
    ),
    "lstm.training": (
        """
_update = LSTM.update
def update_tiny_steps(self, eta):
    _update(self, eta * 1e-3)
LSTM.update = update_tiny_steps
""",
        "classified",
    ),
    "rtrl.init": (
        """
_init = LSTM_RTRL.__init__
def init_zero_recurrent(self, *args):
    _init(self, *args)
    for g in GATES:
        setattr(self, f"R_{g}", np.zeros_like(getattr(self, f"R_{g}")))
LSTM_RTRL.__init__ = init_zero_recurrent
""",
        "uniformly",
    ),
    "rtrl.reset": (
        """
def reset_keeps_sensitivities(self):
    self.h, self.c = np.zeros(self.b_z.shape), np.zeros(self.b_z.shape)
    if not hasattr(self, "S"):
        self.S = {name: np.zeros_like(getattr(self, name)) for name in CARRIED}
LSTM_RTRL.reset = reset_keeps_sensitivities
""",
        "another ran before it",
    ),
    "rtrl.zero_grad": (
        """
_zero_grad = LSTM_RTRL.zero_grad
def zero_grad_keeps_dW_o(self):
    kept = getattr(self, "dW_o", None)
    _zero_grad(self)
    if kept is not None:
        self.dW_o = kept
LSTM_RTRL.zero_grad = zero_grad_keeps_dW_o
""",
        "is not zero",
    ),
    "rtrl.update": (
        """
def update_ascent(self, eta):
    for name in PARAMS:
        getattr(self, name)[...] += eta * getattr(self, f"d{name}")
LSTM_RTRL.update = update_ascent
""",
        "gradient ascent",
    ),
    "rtrl.outputs": (
        """
_forward = LSTM_RTRL.forward
def forward_from_previous_h(self, x_t, y=None):
    h_prev = self.h
    _forward(self, x_t, y)
    return sigmoid(self.W_y @ h_prev + self.b_y)
LSTM_RTRL.forward = forward_from_previous_h
""",
        "ŷ(t)",
    ),
    "rtrl.gradient": (
        """
def sensitivities_not_accumulated(self, x, h_prev, z, i):
    for g, dc_ds in (("z", i * (1.0 - z**2)), ("i", z * i * (1.0 - i))):
        self.S[f"W_{g}"] = np.outer(dc_ds, x)
        self.S[f"R_{g}"] = np.outer(dc_ds, h_prev)
        self.S[f"b_{g}"] = dc_ds
LSTM_RTRL.accumulate_sensitivities = sensitivities_not_accumulated
""",
        "learning method",
    ),
    "rtrl.memory": (
        """
_reset = LSTM_RTRL.reset
def reset_with_full_tensor(self):
    _reset(self)
    I, D = self.W_z.shape
    self.full_sensitivities = np.zeros((I, I, D + I + 1))  # full RTRL: dh_n / dw for every unit n
LSTM_RTRL.reset = reset_with_full_tensor
""",
        "O(I³)",
    ),
    "rtrl.training": (
        """
_update = LSTM_RTRL.update
def update_tiny_steps(self, eta):
    _update(self, eta * 1e-3)
LSTM_RTRL.update = update_tiny_steps
""",
        "classified",
    ),
}


def test_every_check_has_a_targeted_bug():
    assert set(BUGS) == {c.id for c in CHECKS}


@pytest.mark.parametrize("check_id", sorted(BUGS))
def test_check_fails_on_its_bug(check_id):
    patch, phrase = BUGS[check_id]
    result = check_results(with_cells(solution_code(), patch), {check_id})[check_id]
    assert not result.passed, f"{check_id} passed a notebook with its targeted bug"
    assert result.points == 0
    assert phrase in result.message, result.message


def test_solution_passes_every_check():
    results = check_results(solution_code(), {c.id for c in CHECKS})
    assert [r.id for r in results.values() if not r.passed] == []


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
