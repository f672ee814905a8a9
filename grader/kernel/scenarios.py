"""Scripted runs of the student's classes, one per kind of question the checks ask, each one round trip.

Every scenario takes the notebook's namespace first, then plain arguments (sizes, weights, inputs), drives the
student's code through the adapter and returns a dict of raw numbers, keyed as the grader's result records
(grader/student.py) are; `answer` adds the breaches of the template noted so far. While a scenario runs, the
notebook's size globals hold the scenario's sizes (calls.notebook_sizes). Nothing here judges: every comparison
happens in the grading process.
"""

import itertools
import random
from collections import deque
from collections.abc import Iterator, Mapping, Sequence, Set

import numpy as np

from .adapter import construct, notebook_globals_read
from .calls import ACTIVATIONS, BREACHES, PRECISION, GateDriver, notebook_sizes, sequence_loss, step_output
from .places import attributes
from .table import DEFINITIONS


def answer(scenario, ns, kwargs):
    """What the grader receives: the scenario's numbers, the precision the student's code answered in, and every
    breach of the template noted so far."""
    PRECISION["eps"] = float(np.finfo(float).eps)
    result = globals()[scenario](ns, **kwargs)
    return result | {"precision": PRECISION["eps"], "breaches": sorted(BREACHES)}


def build(ns, class_name, D, I, K=1, T=5, activation="tanh"):
    """A mapped student object of `class_name`; a module (a Gate) is given the activation named."""
    module = DEFINITIONS[class_name].protocol == "module"
    with notebook_sizes(ns, D=D, I=I, K=K, T=T):
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


def fresh_params(ns, class_name, D, I, K=1, count=1, activation="tanh"):
    """The parameters of `count` newly constructed objects, for the initialisation checks, and one learning step on
    the first as it comes from the constructor and on a copy after zero_grad. The global generators are seeded before
    each (0, 1, ...), so that two gradings of a notebook that never seeds them see the same draws."""
    draws, first_step = [], {}
    for seed in range(count):
        np.random.seed(seed)
        random.seed(seed)
        mapped = build(ns, class_name, D, I, K, activation=activation)
        draws.append(mapped.values())
        if seed == 0:
            zeroed = build(ns, class_name, D, I, K, activation=activation)
            zeroed.assign(draws[0])
            with notebook_sizes(ns, D=D, I=I, K=K, T=3):
                first_step = {
                    "new_object": learning_step(class_name, mapped, activation, D, I),
                    "after_zero_grad": learning_step(class_name, zeroed, activation, D, I, zero_grad=True),
                }
    return {"draws": draws} | first_step


def learning_step(class_name, mapped, activation, D, I, zero_grad=False):
    """The gradient buffers after one small forward and backward (a Gate: one step; a network: one sequence of three
    steps), or the error it raised: whether backward works on an object as its constructor left it."""
    x, y = np.random.default_rng(0).normal(size=(3, D)), np.ones(1)
    try:
        if zero_grad:
            mapped.obj.zero_grad()
        if class_name == "Gate":
            gate_run(mapped, activation, x[:1], np.zeros((1, I)), np.ones((1, I)))
        else:
            sequence_gradient(class_name, mapped, x, y)
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    return mapped.grads()


def twice(mapped, params, eta, run):
    """From `params` and a fresh zero_grad: what `run()` reports, the buffers, the parameters after update(eta); then
    the same again from `params`, with zero_grad called on the object that now holds gradients: the buffers right
    after it (where recognisable) and the parameters after the second update."""
    mapped.assign(params)
    mapped.obj.zero_grad()
    reported = run()
    grads = mapped.grads()
    mapped.obj.update(eta)
    updated = mapped.values()
    mapped.assign(params)
    mapped.obj.zero_grad()
    zeroed = {k: float(np.abs(g).sum()) for k, g in mapped.grads().items()}
    run()
    mapped.obj.update(eta)
    return reported, {"grads": grads, "updated": updated, "zeroed": zeroed, "rezeroed": mapped.values()}


def losses_along(mapped, params, directions, offsets, loss):
    """loss() with the parameters at params + offset·direction, for every direction and offset: the raw numbers of
    finite differences of the student's own forward."""
    losses = np.zeros((len(directions), len(offsets)))
    for d, direction in enumerate(directions):
        for k, offset in enumerate(offsets):
            mapped.assign({n: params[n] + offset * direction[n] for n in params})
            losses[d, k] = loss(direction, offset)
    return {"losses": losses}


# ---------------------------------------------------------------- the Gate


def gate_run(mapped, activation, xs, hs, upstream, beside=None):
    """Forward every step, then backward them in reverse; with a gate `beside`, that one is driven too, on other
    inputs, right after each call, as an LSTM drives its gates in turn."""
    drivers = [GateDriver(m, ACTIVATIONS[activation][0]) for m in (mapped, beside) if m is not None]
    outputs = [[d.forward(x * (1 - 2 * k), h) for k, d in enumerate(drivers)][0] for x, h in zip(xs, hs)]
    backs = [[d.backward(g) for d in drivers][0] for g in reversed(list(upstream))][::-1]
    return np.array(outputs), np.array([b[0] for b in backs]), np.array([b[1] for b in backs])


def gate_scenario(ns, D, I, activation, params, xs, hs, upstream, eta, beside=False):
    """Forward T = len(xs) steps, backward them in reverse, update; the same again after zero_grad (see `twice`).
    With `beside`, a second gate of the same weights is driven in turn with the first, on the inputs' negatives."""
    mapped = build(ns, "Gate", D, I, T=len(xs), activation=activation)
    other = build(ns, "Gate", D, I, T=len(xs), activation=activation) if beside else None
    if other is not None:
        other.assign(params)
    with notebook_sizes(ns, D=D, I=I, T=len(xs)):
        (a, grad_x, grad_h), buffers = twice(
            mapped, params, eta, lambda: gate_run(mapped, activation, xs, hs, upstream, other)
        )
    return {"a": a, "grad_x": grad_x, "grad_h": grad_h} | buffers


def gate_losses(ns, D, I, activation, params, xs, hs, upstream, directions, offsets):
    """Σ upstream·a over all steps; a direction also moves the inputs (keys "x" and "h")."""
    mapped = build(ns, "Gate", D, I, T=len(xs), activation=activation)

    def loss(direction, offset):
        driver = GateDriver(mapped, ACTIVATIONS[activation][0])
        moved = zip(xs + offset * direction["x"], hs + offset * direction["h"], upstream)
        return sum(float(g @ driver.forward(x, h)) for x, h, g in moved)

    with notebook_sizes(ns, D=D, I=I, T=len(xs)):
        return losses_along(mapped, params, directions, offsets, loss)


# ---------------------------------------------------------------- the networks


def rtrl_sequence(mapped, x, y):
    """From reset, one forward per step, the target (None: no learning) given at the last, or y (T, K) a target per
    step (a row of NaN: none at that step); ŷ of every step."""
    mapped.obj.reset()
    K = mapped.params["b_y"].shape[0]
    targets = list(y) if np.ndim(y) == 2 else [None] * (len(x) - 1) + [y]
    targets = [None if target is None or np.isnan(target).any() else target for target in targets]
    return [step_output(mapped, x_t, target, t, K) for t, (x_t, target) in enumerate(zip(x, targets))]


def sequence_gradient(class_name, mapped, x, y):
    """Accumulate one sequence's gradient in the student's buffers; what the sequence reports (loss or outputs)."""
    if by_sequence(class_name):
        loss = sequence_loss(mapped, x, y)
        mapped.obj.backward()
        return [loss]
    return rtrl_sequence(mapped, x, y)


def loss_alone(class_name, mapped, x, y):
    """The loss on one sequence, without learning."""
    if by_sequence(class_name):
        return sequence_loss(mapped, x, y)
    y_hat = rtrl_sequence(mapped, x, None)[-1]
    return float(-np.sum(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat)))


def network_scenario(ns, class_name, D, I, K, params, xs, ys, eta, zero_between=False, learning=None, reset=False):
    """Every sequence (LSTM: its loss, then backward; LSTM_RTRL: ŷ at every step, the target at the last), the
    accumulated gradient, update; the same again after zero_grad (see `twice`). With `zero_between`, zero_grad
    before every sequence: the buffers then hold the last sequence's gradient alone. Sequences may differ in length;
    where `learning` is False, a sequence is only run forward (an evaluation: no backward, no target). With `reset`,
    an LSTM_RTRL's reset() after the last sequence, before update."""
    mapped = build(ns, class_name, D, I, K, T=len(xs[0]))
    learning = [True] * len(xs) if learning is None else learning

    def sequence(x, y, learn):
        if zero_between:
            mapped.obj.zero_grad()
        with notebook_sizes(ns, T=len(x)):
            if learn:
                return sequence_gradient(class_name, mapped, x, y)
            return [sequence_loss(mapped, x, y)] if by_sequence(class_name) else rtrl_sequence(mapped, x, None)

    def run():
        values = np.array([value for x, y, learn in zip(xs, ys, learning) for value in sequence(x, y, learn)])
        if reset:
            mapped.obj.reset()
        return values

    with notebook_sizes(ns, D=D, I=I, K=K, T=len(xs[0])):
        reported, buffers = twice(mapped, params, eta, run)
    return {"losses" if by_sequence(class_name) else "outputs": reported} | buffers


def lstm_losses(ns, D, I, K, params, x, y, directions, offsets):
    """The student's own loss on one sequence, along each direction."""
    mapped = build(ns, "LSTM", D, I, K, T=len(x))
    with notebook_sizes(ns, D=D, I=I, K=K, T=len(x)):
        return losses_along(mapped, params, directions, offsets, lambda *_: sequence_loss(mapped, x, y))


def held_numbers(obj, seen=None):
    """How many float numbers an object holds in arrays, floats, containers of any kind (lists, tuples, deques, sets,
    dicts) and the attributes of the objects among them, in their __dict__ or __slots__ (its memory, in numbers)."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return int(obj.size)
    if isinstance(obj, (float, np.floating)):
        return 1
    if isinstance(obj, (str, bytes, range, int, complex, np.generic)) or callable(obj):
        return 0
    if isinstance(obj, Mapping):
        return sum(held_numbers(v, seen) for v in obj.values())
    if isinstance(obj, (Sequence, Set, deque)):
        return sum(held_numbers(v, seen) for v in obj)
    return sum(held_numbers(v, seen) for _, v in attributes(obj, properties=False))


def rtrl_memory(ns, D, sizes, lengths):
    """Numbers held by an LSTM_RTRL after T steps with a target at the last, for each hidden size I and length T."""
    held = np.zeros((len(sizes), len(lengths)))
    for i, I in enumerate(sizes):
        for j, T in enumerate(lengths):
            mapped = build(ns, "LSTM_RTRL", D, I, 1, T)
            with notebook_sizes(ns, D=D, I=I, K=1, T=T):
                rtrl_sequence(mapped, np.full((T, D), 0.1), np.ones(1))
            held[i, j] = held_numbers(mapped.obj)
    return {"held": held}


def train(ns, class_name, D, I, params, xs, ys, batch, eta, test_xs, test_ys):
    """The grader's fixed training protocol on the student's class: mean gradient over each minibatch (the student's
    update gets eta / batch after `batch` accumulated sequences), then the loss on every test sequence."""
    mapped = build(ns, class_name, D, I, T=len(xs[0]))
    mapped.assign(params)
    with notebook_sizes(ns, D=D, I=I, K=1, T=len(xs[0])):
        for start in range(0, len(xs), batch):
            mapped.obj.zero_grad()
            for x, y in zip(xs[start : start + batch], ys[start : start + batch]):
                sequence_gradient(class_name, mapped, x, y)
            mapped.obj.update(eta / batch)
        return {"test_losses": np.array([loss_alone(class_name, mapped, x, y) for x, y in zip(test_xs, test_ys)])}


# ---------------------------------------------------------------- the data


AGAIN = 5  # inputs drawn from a second call of generate_data


def data_samples(ns, T, n, seed):
    """n samples of the student's generate_data(T) after seeding np.random and random, each copied as it comes (a
    generator may refill and yield the same arrays); generate_data is called again whenever what it returned runs
    out. A generator, or an iterator of a class of its own, keeps to the protocol; a list does not. Then the first
    AGAIN inputs of one more call, without seeding again: a generator that seeds itself repeats the first call's."""
    np.random.seed(seed)
    random.seed(seed)
    pairs, shapes_ok, calls, is_generator = [], True, 0, None
    with notebook_sizes(ns, T=T):
        while len(pairs) < n and calls < n:
            source = ns["generate_data"](T)
            calls += 1
            is_generator = isinstance(source, Iterator) if is_generator is None else is_generator
            drawn = 0
            for x, y in itertools.islice(iter(source), n - len(pairs)):
                shapes_ok = shapes_ok and np.shape(x) == (T, 1) and np.shape(y) == (1,)
                pairs.append((np.array(x, dtype=float).reshape(T, -1), np.array(y, dtype=float).reshape(-1)))
                drawn += 1
            if drawn == 0:
                break
        again = [np.array(x, dtype=float).ravel() for x, _ in itertools.islice(iter(ns["generate_data"](T)), AGAIN)]
        again = [x for x in again if x.size == T]
    return {
        "X": np.array([x for x, _ in pairs]),
        "Y": np.array([y for _, y in pairs]),
        "is_generator": is_generator,
        "shapes_ok": shapes_ok,
        "calls": calls,
        "X_again": np.array(again).reshape(len(again), T),
    }
