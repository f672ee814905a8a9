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
        "others ran before it",
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


NO_BUFFERS_IN_INIT = """
_init = Gate.__init__
def init_without_buffers(self, *args):
    _init(self, *args)
    del self.dW, self.dR, self.db
Gate.__init__ = init_without_buffers
"""


def test_a_constructor_that_leaves_the_gradient_buffers_to_zero_grad_fails_init():
    result = check_results(with_cells(solution_code(), NO_BUFFERS_IN_INIT), {"gate.init"})["gate.init"]
    assert not result.passed and "before any call of zero_grad" in result.message, result.message


BUFFERS_MADE_IN_BACKWARD = (
    NO_BUFFERS_IN_INIT
    + """
_backward = Gate.backward
def backward_making_buffers(self, *args):
    if not hasattr(self, "dW"):
        self.zero_grad()
    return _backward(self, *args)
Gate.backward = backward_making_buffers
"""
)

BUFFERS_NOT_ZERO_IN_INIT = """
_init = Gate.__init__
def init_with_ones(self, *args):
    _init(self, *args)
    self.dW = np.ones_like(self.dW)
Gate.__init__ = init_with_ones
"""


def test_gradient_buffers_made_lazily_in_backward_keep_the_init_points():
    result = check_results(with_cells(solution_code(), BUFFERS_MADE_IN_BACKWARD), {"gate.init"})["gate.init"]
    assert result.passed, result.message


def test_gradient_buffers_that_do_not_start_at_zero_fail_init():
    result = check_results(with_cells(solution_code(), BUFFERS_NOT_ZERO_IN_INIT), {"gate.init"})["gate.init"]
    assert not result.passed and "do not start at zero" in result.message, result.message


FORWARD_WITH_R_FROM_THE_RIGHT = """
def forward_transposed(self, x, h):
    s = self.W @ x + h @ self.R + self.b
    self.cache.append((x, h, s))
    return self.activation(s)
Gate.forward = forward_transposed
"""


def test_a_forward_whose_R_disagrees_with_its_backward_is_charged_to_forward():
    """h @ R in forward, the template's R @ h in backward: R's orientation is the template's, and forward fails."""
    result = check_results(with_cells(solution_code(), FORWARD_WITH_R_FROM_THE_RIGHT), {"gate.forward"})["gate.forward"]
    assert not result.passed, result.message
