"""Calling a student's methods whatever their signatures and conventions, and noting where they breach the template.

Students pass a time index around, return extra values, want column vectors, keep their gates in a dict or read
sizes from notebook globals. The calls here adapt to each of these, so that the checks judge what the code
computes; the breaches of what the template fixes are noted (`BREACHES`) for the grader, which charges each once,
as the rubric says. Arrays handed to student code are copies: some methods change their inputs in place.
"""

import contextlib
import functools
import inspect
import re

import numpy as np

from .places import gradient_of

ACTIVATIONS = {
    "tanh": (np.tanh, lambda s: 1.0 - np.tanh(s) ** 2),
    "sigmoid": (lambda s: 1.0 / (1.0 + np.exp(-s)), lambda s: np.exp(-s) / (1.0 + np.exp(-s)) ** 2),
    "softsign": (lambda s: s / (1.0 + np.abs(s)), lambda s: 1.0 / (1.0 + np.abs(s)) ** 2),
}
TIME_ARG = r"t|time|step|idx|index|timestep|time_step"
GLOBAL_SIZES = {  # notebook globals a method may read for a size, by the size they stand for
    "K": ("K", "output_size", "output_dim", "n_out", "n_output", "n_outputs", "n_classes"),
    "T": ("T", "seq_len", "seq_length", "sequence_length", "n_steps", "time_steps", "timesteps"),
    "D": ("D", "input_size", "input_dim", "n_in", "n_input", "n_inputs"),
    "I": ("I", "H", "hidden_size", "hidden_dim", "n_hidden", "num_hidden", "n_units", "n_cells"),
}
BREACHES = set()  # "kind:where", e.g. "returns:LSTM.forward": what the grader charges as the rubric says
PRECISION = {"eps": float(np.finfo(float).eps)}  # the coarsest float the student's code answered in, per scenario


class AdapterError(Exception):
    """The student's class could not be mapped onto the interface; the message says what was looked for."""


def breach(kind, where):
    BREACHES.add(f"{kind}:{where}")


def as_float(value):
    """What student code computed, as float64 numbers for the grader; the precision it was computed in is noted
    (float32 arithmetic is correct code, judged to its own precision)."""
    array = np.asarray(value)
    if array.dtype.kind == "f":
        PRECISION["eps"] = max(PRECISION["eps"], float(np.finfo(array.dtype).eps))
    return np.array(array, dtype=float)


def positional_params(callable_):
    """The parameters a method takes by position (not self), ending with its *args if it has them (a decorator's
    wrapper(*args, **kwargs) takes the interface's values in order). Cached per function: training asks at every
    step."""
    function = getattr(callable_, "__func__", None)
    try:
        return signature_positional(callable_ if function is None else function, function is not None)
    except TypeError:  # an unhashable callable
        return signature_positional.__wrapped__(callable_, False)


@functools.lru_cache(maxsize=1024)
def signature_positional(callable_, bound):
    try:
        params = list(inspect.signature(callable_).parameters.values())
    except (TypeError, ValueError):
        return ()
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]
    if bound and positional and positional[0] is params[0] and positional[0].kind != params[0].VAR_POSITIONAL:
        positional = positional[1:]  # the instance a bound method already has
    return tuple(p for p in positional if p.name != "self")


@contextlib.contextmanager
def notebook_sizes(ns, **sizes):
    """The notebook's integer globals that name a size (T, hidden_size, ...) set to the grader's sizes while a
    scenario runs, and restored after: a method that reads them instead of its arguments then still works, so its
    real bugs are found; the grader charges the globals once."""
    saved = {}
    for size, value in sizes.items():
        for name in GLOBAL_SIZES[size]:
            if type(ns.get(name)) is int:
                saved[name], ns[name] = ns[name], int(value)
    try:
        yield
    finally:
        ns.update(saved)


def copied(value, columns=False):
    """An argument for student code: arrays as copies of their own, as columns ((D,) -> (D, 1), (T, D) -> (T, D, 1))
    for a class that wants them."""
    if not isinstance(value, np.ndarray):
        return value
    return np.array(value)[..., None] if columns else np.array(value)


def call_method(method, values, step, columns=False):
    """Call a student method, passing the interface's values by position and a time index where it asks for one."""
    args, remaining = [], [copied(v, columns) for v in values]
    for p in positional_params(method):
        if p.kind == p.VAR_POSITIONAL:
            args += remaining
            break
        if re.fullmatch(TIME_ARG + "|k", p.name, re.I):
            args.append(step)
        elif remaining:
            args.append(remaining.pop(0))
        elif p.default is not inspect.Parameter.empty:
            break
        else:
            args.append(None)
    return method(*args)


def call_backward(method, grad, step, x, h, columns=False):
    """A Gate's backward, given the time index, x or h where its signature asks for them: (grad_x, grad_h)."""
    args = []
    for p in positional_params(method):
        if p.kind == p.VAR_POSITIONAL:
            args += [] if args else [copied(grad, columns)]
            break
        if re.fullmatch(TIME_ARG, p.name, re.I):
            args.append(step)
        elif re.fullmatch(r"x|x_t|inp|input|xt", p.name, re.I):
            args.append(copied(x, columns))
        elif re.fullmatch(r"h|h_prev|h_t|hidden|ht|h_tm1|hprev", p.name, re.I):
            args.append(copied(h, columns))
        elif not args:
            args.append(copied(grad, columns))
        elif p.default is not inspect.Parameter.empty:
            break
        else:
            args.append(None)
    out = method(*args)
    if not isinstance(out, (tuple, list)) or len(out) < 2:
        raise AdapterError("Gate.backward should return (grad_x, grad_h)")
    return out[0], out[1]


STORED_ACTIVATIONS = ("a", "out", "output", "y", "act", "activation", "activations", "A")  # where forward may leave it


def stored_activation(obj, step, lengths_before):
    """Where a forward that returns nothing left its activation: appended to a list, or stored at index `step`."""
    for name in STORED_ACTIVATIONS:
        value = getattr(obj, name, None)
        if isinstance(value, list) and value:
            return value[-1] if len(value) > lengths_before.get(name, 0) else value[step]
        if isinstance(value, dict) and value:
            return value[step]
        if isinstance(value, np.ndarray):
            return value[step] if value.ndim == 2 else value
    raise AdapterError("Gate.forward returned nothing and no stored activation was found")


def activation_among(values, activation):
    """Of what a Gate.forward returned with extra values ((a, s), (a, cache)), the activation: the value that is φ of
    another, else the first."""
    arrays = [np.asarray(v, dtype=float) for v in values if isinstance(v, (np.ndarray, list, float))]
    for a in arrays:
        if any(b.shape == a.shape and np.allclose(a, activation(b)) for b in arrays if b is not a):
            return a
    return values[0]


def loss_among(values, y):
    """Of what an LSTM.forward returned as a tuple ((loss, ŷ), (ŷ, loss)), the loss: the value that is the
    cross-entropy of another against y, else the first."""
    arrays = [np.asarray(v, dtype=float) for v in values]
    with np.errstate(all="ignore"):
        for loss in arrays:
            for p in arrays:
                if (
                    p is not loss
                    and loss.size == 1
                    and p.size == np.size(y)
                    and np.allclose(loss.sum(), -np.sum(y * np.log(p.ravel()) + (1 - y) * np.log(1 - p.ravel())))
                ):
                    return loss
    return arrays[0]


def output_among(values, K):
    """Of what an LSTM_RTRL.forward returned as a tuple, ŷ: the first value of K entries in (0, 1)."""
    arrays = [np.asarray(v, dtype=float) for v in values]
    return next((a for a in arrays if a.size == K and np.all((a > 0) & (a < 1))), arrays[0])


def sequence_loss(mapped, x, y):
    """LSTM.forward(x, y) as a float: the loss, taken from a tuple where forward returned one (a breach)."""
    out = call_method(mapped.obj.forward, [x, y], 0, mapped.columns)
    if isinstance(out, (tuple, list)):
        breach("returns", f"{type(mapped.obj).__name__}.forward")
        out = loss_among(out, y)
    return float(as_float(out).sum())


def step_output(mapped, x_t, y, t, K):
    """LSTM_RTRL.forward(x_t, y) as ŷ(t) of shape (K,), taken from a tuple where forward returned one (a breach)."""
    out = call_method(mapped.obj.forward, [x_t, y], t, mapped.columns)
    if isinstance(out, (tuple, list)):
        breach("returns", f"{type(mapped.obj).__name__}.forward")
        out = output_among(out, K)
    return as_float(out).reshape(-1)


class GateDriver:
    """Runs forward/backward on a mapped Gate the way an LSTM would: n forwards, then n backwards in reverse."""

    def __init__(self, mapped, activation):
        self.m, self.activation = mapped, activation
        self.inputs = []

    def forward(self, x, h):
        step = len(self.inputs)
        self.inputs.append((x, h))
        lengths = {n: len(v) for n in STORED_ACTIVATIONS if isinstance(v := getattr(self.m.obj, n, None), list)}
        a = call_method(self.m.obj.forward, [x, h], step, self.m.columns)
        if a is None:
            a = stored_activation(self.m.obj, step, lengths)
        elif isinstance(a, (tuple, list)):
            a = activation_among(a, self.activation)
        return as_float(a).reshape(-1)

    def backward(self, grad_a):
        step = len(self.inputs) - 1
        x, h = self.inputs.pop()
        out = call_backward(self.m.obj.backward, grad_a, step, x, h, self.m.columns)
        return tuple(as_float(v).reshape(-1) for v in out)


def wants_columns(make, protocol, sizes):
    """Whether a class works only with column vectors ((D, 1) where the template passes (D,)): tried on objects of
    its own made by `make()`, first with the template's vectors, then with columns."""
    D, I, T, K = sizes["D"], sizes["I"], sizes["T"], sizes["K"]
    rng = np.random.default_rng(0)
    x, h, y = rng.normal(size=(T, D)), rng.normal(size=I), np.ones(K)

    def works(columns):
        try:
            with np.errstate(all="ignore"):
                obj = make()
                if protocol == "module":
                    out = call_method(obj.forward, [x[0], h], 0, columns)
                    return out is None or isinstance(out, (tuple, list)) or np.size(out) == I
                if protocol == "sequence":
                    out = call_method(obj.forward, [x, y], 0, columns)
                    return isinstance(out, (tuple, list)) or np.size(out) == 1
                obj.reset()
                out = call_method(obj.forward, [x[0], None], 0, columns)
                return isinstance(out, (tuple, list)) or np.size(out) == K
        except Exception:
            return False

    return not works(False) and works(True)


def hears_across(mapped, protocol, sizes):
    """Whether unit 0 hears unit 1 through R when R's storage [0, 1] is 1 and every other weight 0: true when the
    student computes R @ h, false for h @ R (R stored transposed). A square R's shape cannot tell the two apart.

    A Gate is given h = e1. A network first gets x(1) = e0 into unit 1 alone (its z gate's W[1, 0]), with input and
    output gates wide open, then a step of silence; its output reads unit 0 alone. Only R_z is probed."""
    D, I, K = sizes["D"], sizes["I"], sizes["K"]
    raw = np.zeros((I, I))
    raw[0, 1] = 1.0
    mapped.assign({name: np.zeros(slot.shape) for name, slot in mapped.params.items()})
    with np.errstate(all="ignore"):
        if protocol == "module":
            mapped.params["R"].place.write(raw)
            a = GateDriver(mapped, ACTIVATIONS["tanh"][0]).forward(np.zeros(D), np.eye(I)[1])
            return abs(a[0] - a[1]) > 1e-9
        into_unit_1 = np.zeros((I, D))
        into_unit_1[1, 0] = 1.0
        mapped.assign({"W_z": into_unit_1, "b_i": np.full(I, 5.0), "b_o": np.full(I, 5.0), "W_y": np.eye(K, I)})
        mapped.params["R_z"].place.write(raw)
        x = np.stack([np.eye(D)[0], np.zeros(D)])
        if protocol == "sequence":
            return abs(sequence_loss(mapped, x, np.ones(K)) - np.log(2.0)) > 1e-9
        mapped.obj.reset()
        step_output(mapped, x[0], None, 0, K)
        return abs(step_output(mapped, x[1], None, 1, K)[0] - 0.5) > 1e-9


def backward_hears_across(mapped, sizes):
    """Which way a Gate's backward lays out R's gradient: True when unit 0's error times h[1] lands in the storage's
    [0, 1] (as for R @ h), False when in [1, 0] (h @ R), None when its buffer cannot tell (none recognisable, an
    error, both or neither)."""
    D, I = sizes["D"], sizes["I"]
    mapped.assign({name: np.zeros(slot.shape) for name, slot in mapped.params.items()})
    try:
        with np.errstate(all="ignore"):
            mapped.obj.zero_grad()
            driver = GateDriver(mapped, ACTIVATIONS["tanh"][0])
            driver.forward(np.zeros(D), np.eye(I)[1])
            driver.backward(np.eye(I)[0])
            raw = np.asarray(gradient_of(mapped.params["R"].place).read(), dtype=float)
    except Exception:  # no buffer, or a backward that fails: the backward checks' business
        return None
    if raw.shape != (I, I):
        return None
    at_01, at_10 = abs(raw[0, 1]) > 1e-9, abs(raw[1, 0]) > 1e-9
    return bool(at_01) if at_01 != at_10 else None
