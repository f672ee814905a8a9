"""Scripted runs of the student's classes, one per kind of question the checks ask, each one round trip.

Every scenario takes the notebook's namespace first, then plain arguments (sizes, weights, inputs), drives the
student's code through the adapter and returns a dict of raw numbers, keyed as the grader's result records
(grader/student.py) are. Nothing here judges: every comparison happens in the grading process.
"""
import inspect
import itertools
import random

import numpy as np

from .adapter import GateDriver, call_method, construct, notebook_globals_read
from .table import DEFINITIONS


def build(ns, class_name, D, I, K=1, T=5, activation="tanh"):
    """A mapped student object of `class_name`; a module (a Gate) is given the activation named."""
    module = DEFINITIONS[class_name].protocol == "module"
    return construct(ns, class_name, {"D": D, "I": I, "T": T, "K": K}, activation if module else None)


def by_sequence(class_name):
    """Whether the class takes a whole sequence per forward call (the LSTM), rather than one step (LSTM_RTRL)."""
    return DEFINITIONS[class_name].protocol == "sequence"


def describe(ns, names, classes):
    """Which of the exercise names the notebook defines, and the notebook globals each method reads."""
    reads = {}
    for name in classes:
        if isinstance(ns.get(name), type):
            reads |= notebook_globals_read(ns, ns[name])
    return {"defined": {name: name in ns for name in names}, "globals_read": reads}


def fresh_params(ns, class_name, D, I, K=1, activation="tanh"):
    """The parameters of a newly constructed object, for the initialisation checks. The global generators are seeded
    first, so that two gradings of a notebook that never seeds them see the same draw."""
    np.random.seed(0)
    random.seed(0)
    return {"params": build(ns, class_name, D, I, K, activation=activation).values()}


# ---------------------------------------------------------------- the Gate

def gate_run(mapped, xs, hs, upstream):
    driver = GateDriver(mapped)
    outputs = [driver.forward(x, h) for x, h in zip(xs, hs)]
    backs = [driver.backward(g) for g in reversed(list(upstream))][::-1]
    return np.array(outputs), np.array([b[0] for b in backs]), np.array([b[1] for b in backs])


def gate_scenario(ns, D, I, activation, params, xs, hs, upstream, eta):
    """Forward T = len(xs) steps, backward them in reverse, read the buffers, zero them, run again and update."""
    mapped = build(ns, "Gate", D, I, T=len(xs), activation=activation)
    mapped.assign(params)
    mapped.obj.zero_grad()
    a, grad_x, grad_h = gate_run(mapped, xs, hs, upstream)
    grads = mapped.grads()
    mapped.obj.zero_grad()
    zeroed = {k: float(np.abs(g).sum()) for k, g in mapped.grads().items()}
    gate_run(mapped, xs, hs, upstream)
    mapped.obj.update(eta)
    return {"a": a, "grad_x": grad_x, "grad_h": grad_h, "grads": grads, "zeroed": zeroed, "updated": mapped.values()}


def losses_along(mapped, params, directions, offsets, loss):
    """loss() with the parameters at params + offset·direction, for every direction and offset: the raw numbers of
    finite differences of the student's own forward."""
    losses = np.zeros((len(directions), len(offsets)))
    for d, direction in enumerate(directions):
        for k, offset in enumerate(offsets):
            mapped.assign({n: params[n] + offset * direction[n] for n in params})
            losses[d, k] = loss(direction, offset)
    return {"losses": losses}


def gate_losses(ns, D, I, activation, params, xs, hs, upstream, directions, offsets):
    """Σ upstream·a over all steps; a direction also moves the inputs (keys "x" and "h")."""
    mapped = build(ns, "Gate", D, I, T=len(xs), activation=activation)

    def loss(direction, offset):
        driver = GateDriver(mapped)
        moved = zip(xs + offset * direction["x"], hs + offset * direction["h"], upstream)
        return sum(float(g @ driver.forward(x, h)) for x, h, g in moved)
    return losses_along(mapped, params, directions, offsets, loss)


# ---------------------------------------------------------------- the networks

def lstm_forward(mapped, x, y):
    return float(np.asarray(call_method(mapped.obj.forward, [x, y], 0), dtype=float).sum())


def rtrl_sequence(mapped, x, y):
    """From reset, one forward per step, the target (None: no learning) given at the last; ŷ of every step."""
    mapped.obj.reset()
    return [np.asarray(call_method(mapped.obj.forward, [x_t, y if t == len(x) - 1 else None], t),
                       dtype=float).reshape(-1) for t, x_t in enumerate(x)]


def sequence_gradient(class_name, mapped, x, y):
    """Accumulate one sequence's gradient in the student's buffers; what the sequence reports (loss or outputs)."""
    if by_sequence(class_name):
        loss = lstm_forward(mapped, x, y)
        mapped.obj.backward()
        return [loss]
    return rtrl_sequence(mapped, x, y)


def sequence_loss(class_name, mapped, x, y):
    """The loss on one sequence, without learning."""
    if by_sequence(class_name):
        return lstm_forward(mapped, x, y)
    y_hat = rtrl_sequence(mapped, x, None)[-1]
    return float(-np.sum(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat)))


def network_scenario(ns, class_name, D, I, K, params, xs, ys, eta):
    """From `params` and zero_grad, every sequence (LSTM: its loss, then backward; LSTM_RTRL: ŷ at every step, the
    target at the last), then the accumulated gradient and one update(eta)."""
    mapped = build(ns, class_name, D, I, K, T=len(xs[0]))
    mapped.assign(params)
    mapped.obj.zero_grad()
    reported = [value for x, y in zip(xs, ys) for value in sequence_gradient(class_name, mapped, x, y)]
    grads = mapped.grads()
    mapped.obj.update(eta)
    return {"losses" if by_sequence(class_name) else "outputs": np.array(reported), "grads": grads,
            "updated": mapped.values()}


def lstm_losses(ns, D, I, K, params, x, y, directions, offsets):
    """The student's own loss on one sequence, along each direction."""
    mapped = build(ns, "LSTM", D, I, K, T=len(x))
    return losses_along(mapped, params, directions, offsets, lambda *_: lstm_forward(mapped, x, y))


def held_numbers(obj, seen=None):
    """How many float numbers an object holds in arrays, lists and dicts of its attributes (its memory, in numbers)."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return int(obj.size)
    if isinstance(obj, (list, tuple)):
        return sum(held_numbers(v, seen) for v in obj)
    if isinstance(obj, dict):
        return sum(held_numbers(v, seen) for v in obj.values())
    if hasattr(obj, "__dict__") and not callable(obj):
        return sum(held_numbers(v, seen) for v in vars(obj).values())
    return 0


def rtrl_memory(ns, D, sizes, T):
    """Numbers held by an LSTM_RTRL after T steps with a target, for each hidden size."""
    held = []
    for I in sizes:
        mapped = build(ns, "LSTM_RTRL", D, I, 1, T)
        mapped.obj.reset()
        for t in range(T):
            call_method(mapped.obj.forward, [np.full(D, 0.1), np.ones(1) if t == T - 1 else None], t)
        held.append(held_numbers(mapped.obj))
    return {"held": np.array(held, dtype=float)}


def train(ns, class_name, D, I, params, xs, ys, batch, eta, test_xs, test_ys):
    """The grader's fixed training protocol on the student's class: mean gradient over each minibatch (the student's
    update gets eta / batch after `batch` accumulated sequences), then the loss on every test sequence."""
    mapped = build(ns, class_name, D, I)
    mapped.assign(params)
    for start in range(0, len(xs), batch):
        mapped.obj.zero_grad()
        for x, y in zip(xs[start:start + batch], ys[start:start + batch]):
            sequence_gradient(class_name, mapped, x, y)
        mapped.obj.update(eta / batch)
    return {"test_losses": np.array([sequence_loss(class_name, mapped, x, y) for x, y in zip(test_xs, test_ys)])}


# ---------------------------------------------------------------- the data

def data_samples(ns, T, n, seed):
    """n samples of the student's generate_data(T) after np.random.seed(seed)."""
    np.random.seed(seed)
    source = ns["generate_data"](T)
    is_generator = inspect.isgenerator(source)
    pairs = list(itertools.islice(iter(source), n))  # a list of fewer pairs is judged on what it holds
    X = np.array([np.asarray(x, dtype=float).reshape(T, -1) for x, _ in pairs])
    Y = np.array([np.asarray(y, dtype=float).reshape(-1) for _, y in pairs])
    shapes = np.array([[np.shape(x) == (T, 1), np.shape(y) == (1,)] for x, y in pairs])
    return {"X": X, "Y": Y, "is_generator": is_generator, "shapes_ok": bool(shapes.all())}
