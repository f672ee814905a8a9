"""Kernel-side adapter: maps a student's classes onto the interface and runs scripted calls on them.

This file's source is sent into the student's kernel after their notebook ran; it is never imported by the grading
process except in tests. It only *drives* student code and hands back raw numbers: every comparison and verdict
happens in the grading process. It needs nothing but numpy and the standard library.

Interface names used throughout (whatever the student called them):
    Gate: W (I, D), R (I, I), b (I,);   LSTM: z.W ... o.b, W_y (K, I), b_y (K,);   LSTM_RTRL: W_z ... b_o, W_y, b_y
"""
import base64
import dis
import itertools
import inspect
import io
import json
import random
import re
from typing import NamedTuple

import numpy as np

SIZES = {"D": 2, "I": 3, "T": 5, "K": 1}  # distinct sizes, so a shape tells which size a student meant
ACTIVATIONS = {
    "tanh": (np.tanh, lambda s: 1.0 - np.tanh(s) ** 2),
    "sigmoid": (lambda s: 1.0 / (1.0 + np.exp(-s)), lambda s: np.exp(-s) / (1.0 + np.exp(-s)) ** 2),
    "softsign": (lambda s: s / (1.0 + np.abs(s)), lambda s: 1.0 / (1.0 + np.abs(s)) ** 2),
}
GATE_NAMES = {"z": r"^(z|g|cell|c_?in|block|inp?ut_?act)", "i": r"^(i|in|input)(_?gate)?$|^ig", "o": r"^(o|out|output)(_?gate)?$|^og"}
PARAM_PATTERNS = {  # interface name -> regex on the student's attribute name (after gradient prefixes are excluded)
    "W": r"^(w|weight|wx|w_x|w_in|input_weight)", "R": r"^(r|u|v|wh|w_h|rec|recur|hidden_weight)", "b": r"^(b|bias)",
    "W_y": r"^(w_?y|v|w_?out|why|w_?o?ut)", "b_y": r"^(b_?y|b_?out|c$)",
}
GRAD_PREFIX = r"^(d|grad|nabla|g_|delta)_?"
SIZE_ARG = {"D": r"^(d|in|inp|input|n_?in|input_?(size|dim)|dim_?in|x_?dim)", "I": r"^(i|h|hidden|n_?h|units|hid|hidden_?(size|dim)|out|output_?size|n_?out|size|cell)",
            "T": r"^(t|seq|time|len|steps|n_?steps|sequence_?length)", "K": r"^(k|n_?out|output_?(size|dim)|out_?(size|dim)|n_?classes)"}


class AdapterError(Exception):
    """The student's class could not be mapped onto the interface; the message says what was looked for."""


def user_namespace():
    from IPython import get_ipython

    return get_ipython().user_ns


def decode(payload):
    """The grader's arguments: JSON whose {"__array__": base64} leaves are np.save bytes (no pickle)."""
    def leaf(value):
        if isinstance(value, dict) and "__array__" in value:
            return np.load(io.BytesIO(base64.b64decode(value["__array__"])), allow_pickle=False)
        if isinstance(value, dict):
            return {k: leaf(v) for k, v in value.items()}
        if isinstance(value, list):
            return [leaf(v) for v in value]
        return value
    return leaf(json.loads(payload))


# ---------------------------------------------------------------- building objects

def positional_params(callable_):
    try:
        params = list(inspect.signature(callable_).parameters.values())
    except (TypeError, ValueError):
        return []
    return [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self"]


FUNCTION_ARG = r"act|func|fn|phi|sigma|^a?f$|^af_|^df$|der|prime"
DERIVATIVE_ARG = r"der|prime|grad|^d_?f|^df|^d_?act"


def constructor_candidates(cls, sizes, activation=None):
    """Argument lists worth trying, most likely first: sizes matched by parameter names, then in the interface's
    order, then other orders (sizes swapped, an extra T). Activation parameters are filled by their names."""
    params = [p for p in positional_params(cls.__init__)
              if p.default is inspect.Parameter.empty or re.search(FUNCTION_ARG, p.name, re.I)]
    if not params:  # __init__(self, *args): only the interface's own order can be tried
        interface = [sizes["D"], sizes["I"]] + (list(ACTIVATIONS[activation]) if activation else [sizes["K"]])
        yield interface
        return
    size_slots = [p.name for p in params if not re.search(FUNCTION_ARG, p.name, re.I)]
    by_name = tuple(next((s for s, pattern in SIZE_ARG.items() if re.match(pattern, n, re.I)), None) for n in size_slots)
    orders = [by_name, ("D", "I", "K"), ("I", "D", "K"), ("D", "I", "T"), ("I", "D", "T"), ("T", "D", "I"),
              ("D", "I", "K", "T"), ("D", "I", "T", "K")]
    tried = []
    for order in orders:
        order = tuple(order[: len(size_slots)])
        if order in tried or None in order or len(order) < len(size_slots):
            continue
        tried.append(order)
        values = iter(sizes[s] for s in order)
        functions = iter(ACTIVATIONS[activation] if activation else ())
        args = []
        for p in params:
            if re.search(FUNCTION_ARG, p.name, re.I):
                is_derivative = re.search(DERIVATIVE_ARG, p.name, re.I)
                args.append(ACTIVATIONS[activation][1 if is_derivative else 0] if activation else next(functions, None))
            else:
                args.append(next(values))
        yield args


def arrays_of(obj):
    return {name: value for name, value in vars(obj).items() if isinstance(value, np.ndarray)}


def find_param(obj, interface_name, shape, taken):
    """The attribute holding parameter `interface_name` of `shape`: (attribute, transposed) or None."""
    arrays = {n: a for n, a in arrays_of(obj).items() if n not in taken and not re.match(GRAD_PREFIX + ".", n, re.I)
              or (n not in taken and re.fullmatch(r"d", n, re.I))}
    candidates = []
    for name, array in arrays.items():
        squeezed = array.reshape(-1) if len(shape) == 1 and array.size == shape[0] else array
        if squeezed.shape == shape:
            candidates.append((name, False))
        elif len(shape) == 2 and shape[0] != shape[1] and array.shape == shape[::-1]:
            candidates.append((name, True))
    named = [c for c in candidates if re.match(PARAM_PATTERNS[interface_name], c[0], re.I)]
    nonzero = [c for c in (named or candidates) if np.any(arrays[c[0]] != 0)]
    return (nonzero or named or candidates or [None])[0]


def find_grad(obj, attribute):
    """The gradient buffer belonging to parameter `attribute` (dW for W, grad_W, nabla_W_L, g_W, ...)."""
    for name in vars(obj):
        if name != attribute and re.match(GRAD_PREFIX + "?" + re.escape(attribute) + r"(_?l)?$", name, re.I):
            if re.match(GRAD_PREFIX, name, re.I):
                return name
    return None


class Slot(NamedTuple):
    """Where one interface parameter lives in the student's objects, and its interface shape."""
    owner: object
    attr: str
    transposed: bool
    shape: tuple


class Mapped:
    """One student object with the interface's parameter names mapped onto its attributes."""

    def __init__(self, obj, params):
        self.obj, self.params = obj, params  # interface name -> Slot

    def get(self, name):
        slot = self.params[name]
        value = np.asarray(getattr(slot.owner, slot.attr), dtype=float)
        return (value.T if slot.transposed else value).reshape(slot.shape)

    def set(self, name, value):
        slot = self.params[name]
        old = np.asarray(getattr(slot.owner, slot.attr))
        setattr(slot.owner, slot.attr, np.array(value.T if slot.transposed else value, dtype=float).reshape(old.shape))

    def grad(self, name):
        slot = self.params[name]
        buffer = find_grad(slot.owner, slot.attr)
        if buffer is None or getattr(slot.owner, buffer) is None:
            return None
        value = np.asarray(getattr(slot.owner, buffer), dtype=float)
        return (value.T if slot.transposed else value).reshape(slot.shape)


def map_gate(obj, sizes, owner_prefix=""):
    D, I = sizes["D"], sizes["I"]
    params, taken = {}, set()
    for name, shape in (("R", (I, I)), ("W", (I, D)), ("b", (I,))):
        found = find_param(obj, name, shape, taken)
        if found is None:
            raise AdapterError(f"no array of shape {shape} for {owner_prefix}{name} among {sorted(arrays_of(obj))}")
        taken.add(found[0])
        params[owner_prefix + name] = Slot(obj, *found, shape)
    return params


LAYOUTS = {}  # class name -> {interface name: (attribute, transposed)}, learnt where D ≠ I shows a transposition


def construct(class_name, interface, sizes, map_params, activation=None):
    """Try the argument orders worth trying; the first object whose parameters map onto the interface is it.

    Where D = I a transposed W looks like an untransposed one, so the layout is learnt once at distinct sizes."""
    if sizes["D"] == sizes["I"] and class_name not in LAYOUTS:
        construct(class_name, interface, dict(sizes, D=2, I=3), map_params, activation)
    cls = user_namespace()[class_name]
    errors = []
    for args in constructor_candidates(cls, sizes, activation):
        try:
            obj = cls(*args)
            params = map_params(obj, sizes)
            break
        except Exception as error:  # a wrong guess of the argument order fails somewhere in their code
            errors.append(error)
    else:
        raise not_built(interface, errors)
    learnt = LAYOUTS.setdefault(class_name, {n: (s.attr, s.transposed) for n, s in params.items()})
    if sizes["D"] == sizes["I"]:
        params = {n: s._replace(transposed=learnt[n][1]) if learnt.get(n, (None,))[0] == s.attr else s
                  for n, s in params.items()}
    return Mapped(obj, params)


def not_built(interface, errors):
    """The first attempt (the interface's own argument order) is the one worth telling the student about."""
    first = errors[0] if errors else None
    if isinstance(first, NotImplementedError):
        return AdapterError(f"constructing it as {interface} raised NotImplementedError: it is not implemented yet")
    what = f"{type(first).__name__}: {first}".rstrip(": ") if first is not None else "no constructor found"
    return AdapterError(f"it could not be constructed as {interface} or a common variant ({what})")


def build_gate(D, I, activation, T=5):
    return construct("Gate", "Gate(input_size, hidden_size, activation, activation_derivative)",
                     {"D": D, "I": I, "T": T, "K": 1}, map_gate, activation)


def build_lstm(D, I, K=1, T=5):
    return construct("LSTM", "LSTM(input_size, hidden_size, output_size)", {"D": D, "I": I, "T": T, "K": K}, map_lstm)


def build_rtrl(D, I, K=1, T=5):
    return construct("LSTM_RTRL", "LSTM_RTRL(input_size, hidden_size, output_size)",
                     {"D": D, "I": I, "T": T, "K": K}, map_rtrl)


def lstm_gates(obj):
    """The student's three Gate objects, keyed z, i, o."""
    gate_cls = user_namespace().get("Gate")
    found = [(n, v) for n, v in vars(obj).items() if gate_cls is not None and isinstance(v, gate_cls)]
    if len(found) < 3:
        found = [(n, v) for n, v in vars(obj).items() if hasattr(v, "forward") and hasattr(v, "backward")]
    gates = {}
    for key, pattern in GATE_NAMES.items():
        named = [v for n, v in found if re.match(pattern, n, re.I) and v not in gates.values()]
        if named:
            gates[key] = named[0]
    if len(gates) < 3 and len(found) == 3:  # names not recognised: take the order they were assigned in
        gates = dict(zip("zio", (v for _, v in found)))
    if len(gates) < 3:
        raise AdapterError(f"LSTM has no three recognisable gates (found {[n for n, _ in found]})")
    return gates


def map_lstm(obj, sizes):
    params = {}
    for key, gate in lstm_gates(obj).items():
        params |= map_gate(gate, sizes, f"{key}.")
    return params | output_layer(obj, sizes, set())


def map_rtrl(obj, sizes):
    D, I = sizes["D"], sizes["I"]
    params, taken = {}, set()
    for g in "zio":
        for kind, shape in (("W", (I, D)), ("R", (I, I)), ("b", (I,))):
            found = find_named(obj, rf"^{kind}_?{g}$|^{kind}{g}$|^{g}_?{kind}$", shape, taken)
            taken.add(found[0])
            params[f"{kind}_{g}"] = Slot(obj, *found, shape)
    return params | output_layer(obj, sizes, taken)


def output_layer(obj, sizes, taken):
    params = {}
    for name, shape in (("W_y", (sizes["K"], sizes["I"])), ("b_y", (sizes["K"],))):
        found = find_param(obj, name, shape, taken)
        if found is None:
            raise AdapterError(f"no array of shape {shape} for {name} among {sorted(arrays_of(obj))}")
        taken.add(found[0])
        params[name] = Slot(obj, *found, shape)
    return params


def find_named(obj, pattern, shape, taken):
    for name, array in arrays_of(obj).items():
        if name not in taken and re.match(pattern, name, re.I):
            if array.shape == shape or array.size == shape[0] and len(shape) == 1:
                return name, False
            if len(shape) == 2 and array.shape == shape[::-1]:
                return name, True
    raise AdapterError(f"no attribute named like {pattern.split('|')[0][1:-1]} of shape {shape}")


# ---------------------------------------------------------------- calling methods whatever their signatures

def call_method(method, values, step):
    """Call a student method, passing the interface's values by position and a time index where it asks for one.

    values: ordered interface arguments (e.g. x, h); step: the time index for `forward(x, h, t)`-style methods.
    """
    params = positional_params(method)
    args, remaining = [], list(values)
    for p in params:
        if re.fullmatch(r"t|time|step|idx|index|timestep|time_step|k", p.name, re.I):
            args.append(step)
        elif remaining:
            args.append(remaining.pop(0))
        elif p.default is not inspect.Parameter.empty:
            break
        else:
            args.append(None)
    return method(*args)


class GateDriver:
    """Runs forward/backward on a mapped Gate the way an LSTM would: n forwards, then n backwards in reverse."""

    def __init__(self, mapped):
        self.m = mapped
        self.inputs = []

    def forward(self, x, h):
        step = len(self.inputs)
        self.inputs.append((x, h))
        lengths = {n: len(v) for n, v in vars(self.m.obj).items() if isinstance(v, list)}
        a = call_method(self.m.obj.forward, [x, h], step)
        if a is None:
            a = stored_activation(self.m.obj, step, lengths)
        return np.asarray(a, dtype=float).reshape(-1)

    def backward(self, grad_a):
        step = len(self.inputs) - 1
        x, h = self.inputs.pop()
        out = call_method_backward(self.m.obj.backward, grad_a, step, x, h)
        return tuple(np.asarray(v, dtype=float).reshape(-1) for v in out)


def call_method_backward(method, grad, step, x, h):
    params = positional_params(method)
    args = []
    for p in params:
        if re.fullmatch(r"t|time|step|idx|index|timestep|time_step", p.name, re.I):
            args.append(step)
        elif re.fullmatch(r"x|x_t|inp|input|xt", p.name, re.I):
            args.append(x)
        elif re.fullmatch(r"h|h_prev|h_t|hidden|ht|h_tm1|hprev", p.name, re.I):
            args.append(h)
        elif not args:
            args.append(grad)
        elif p.default is not inspect.Parameter.empty:
            break
        else:
            args.append(None)
    out = method(*args)
    if not isinstance(out, (tuple, list)) or len(out) < 2:
        raise AdapterError("Gate.backward should return (grad_x, grad_h)")
    return out[0], out[1]


def stored_activation(obj, step, lengths_before):
    """Where a forward that returns nothing left its activation: appended to a list, or stored at index `step`."""
    for name in ("a", "out", "output", "y", "act", "activation", "activations", "A"):
        value = getattr(obj, name, None)
        if isinstance(value, list) and value:
            return value[-1] if len(value) > lengths_before.get(name, 0) else value[step]
        if isinstance(value, dict) and value:
            return value[step]
        if isinstance(value, np.ndarray):
            return value[step] if value.ndim == 2 else value
    raise AdapterError("Gate.forward returned nothing and no stored activation was found")


# ---------------------------------------------------------------- scenarios: one round trip each, raw numbers out

def interface_params(mapped):
    return {name: mapped.get(name) for name in mapped.params}


def interface_grads(mapped):
    """The gradient buffers by interface name, where the student has recognisable ones (else left out)."""
    grads = {name: mapped.grad(name) for name in mapped.params}
    return {name: g for name, g in grads.items() if g is not None}


def apply(mapped, params):
    for name, value in params.items():
        mapped.set(name, np.asarray(value, dtype=float))


def after_update(mapped, eta):
    """zero_grad is not called here: the caller ran backward; update(eta) then changes θ by -eta·∇θ."""
    mapped.obj.update(eta)
    return {f"updated:{name}": value for name, value in interface_params(mapped).items()}


def fresh_params(kind, D, I, K=1, activation="tanh"):
    """The parameters of a newly constructed object, for the initialisation checks. The global generators are seeded
    first, so that two gradings of a notebook that never seeds them see the same draw."""
    np.random.seed(0)
    random.seed(0)
    mapped = build_gate(D, I, activation) if kind == "gate" else build(kind, D, I, K)
    return interface_params(mapped)


def build(kind, D, I, K=1, activation="tanh"):
    return {"gate": lambda: build_gate(D, I, activation), "lstm": lambda: build_lstm(D, I, K),
            "rtrl": lambda: build_rtrl(D, I, K)}[kind]()


def gate_run(mapped, xs, hs, upstream):
    driver = GateDriver(mapped)
    outputs = [driver.forward(x, h) for x, h in zip(xs, hs)]
    backs = [driver.backward(g) for g in reversed(list(upstream))][::-1]
    return np.array(outputs), np.array([b[0] for b in backs]), np.array([b[1] for b in backs])


def gate_scenario(D, I, activation, params, xs, hs, upstream, eta):
    """Forward T = len(xs) steps, backward them in reverse, read the buffers, update: everything a Gate check needs."""
    mapped = build_gate(D, I, activation, T=len(xs))
    apply(mapped, params)
    mapped.obj.zero_grad()
    a, grad_x, grad_h = gate_run(mapped, xs, hs, upstream)
    result = {"a": a, "grad_x": grad_x, "grad_h": grad_h} | {f"grad:{k}": v for k, v in interface_grads(mapped).items()}
    mapped.obj.zero_grad()
    result |= {f"zeroed:{k}": float(np.abs(g).sum()) for k, g in interface_grads(mapped).items()}
    gate_run(mapped, xs, hs, upstream)
    return result | after_update(mapped, eta)


def losses_along(mapped, params, directions, offsets, loss):
    """loss(direction, offset) with the parameters at params + offset·direction, for every direction and offset:
    the raw numbers of finite differences of the student's own forward."""
    losses = np.zeros((len(directions), len(offsets)))
    for d, direction in enumerate(directions):
        for k, offset in enumerate(offsets):
            apply(mapped, {n: params[n] + offset * direction[n] for n in params})
            losses[d, k] = loss(direction, offset)
    return {"losses": losses}


def gate_losses(D, I, activation, params, xs, hs, upstream, directions, offsets):
    """Σ upstream·a over all steps; a direction also moves the inputs (keys "x" and "h")."""
    mapped = build_gate(D, I, activation, T=len(xs))

    def loss(direction, offset):
        driver = GateDriver(mapped)
        moved = zip(xs + offset * direction["x"], hs + offset * direction["h"], upstream)
        return sum(float(g @ driver.forward(x, h)) for x, h, g in moved)
    return losses_along(mapped, params, directions, offsets, loss)


def lstm_forward(mapped, x, y):
    loss = call_method(mapped.obj.forward, [x, y], 0)
    return float(np.asarray(loss, dtype=float).sum())


def lstm_scenario(D, I, K, params, xs, ys, eta):
    """Loss of each sequence, then the gradient accumulated over all of them, then one update."""
    mapped = build_lstm(D, I, K, T=len(xs[0]))

    def losses():
        out = []
        for x, y in zip(xs, ys):
            out.append(lstm_forward(mapped, x, y))
            mapped.obj.backward()
        return {"losses": np.array(out)}
    return accumulated_then_updated(mapped, params, eta, losses)


def accumulated_then_updated(mapped, params, eta, sequences):
    """From `params` and zero_grad, what `sequences()` reports, then the accumulated gradient and one update."""
    apply(mapped, params)
    mapped.obj.zero_grad()
    reported = sequences()
    return reported | {f"grad:{k}": v for k, v in interface_grads(mapped).items()} | after_update(mapped, eta)


def lstm_losses(D, I, K, params, x, y, directions, offsets):
    """The student's own loss on one sequence."""
    mapped = build_lstm(D, I, K, T=len(x))
    return losses_along(mapped, params, directions, offsets, lambda *_: lstm_forward(mapped, x, y))


def rtrl_scenario(D, I, K, params, xs, ys, eta):
    """Every sequence from reset, the target at its last step: outputs per step, accumulated gradient, update."""
    mapped = build_rtrl(D, I, K, T=len(xs[0]))

    def outputs():
        out = []
        for x, y in zip(xs, ys):
            out += rtrl_sequence(mapped, x, y)
        return {"outputs": np.array(out)}
    return accumulated_then_updated(mapped, params, eta, outputs)


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


def rtrl_memory(D, sizes, T):
    """Numbers held by an LSTM_RTRL after T steps with a target, for each hidden size."""
    held = []
    for I in sizes:
        mapped = build_rtrl(D, I, 1, T)
        mapped.obj.reset()
        for t in range(T):
            call_method(mapped.obj.forward, [np.full(D, 0.1), np.ones(1) if t == T - 1 else None], t)
        held.append(held_numbers(mapped.obj))
    return {"held": np.array(held, dtype=float)}


def data_samples(T, n, seed):
    """n samples of the student's generate_data(T) after np.random.seed(seed)."""
    np.random.seed(seed)
    source = user_namespace()["generate_data"](T)
    is_generator = inspect.isgenerator(source)
    pairs = list(itertools.islice(iter(source), n))  # a list of fewer pairs is judged on what it holds
    X = np.array([np.asarray(x, dtype=float).reshape(T, -1) for x, _ in pairs])
    Y = np.array([np.asarray(y, dtype=float).reshape(-1) for _, y in pairs])
    shapes = np.array([[np.shape(x) == (T, 1), np.shape(y) == (1,)] for x, y in pairs])
    return {"X": X, "Y": Y, "is_generator": is_generator, "shapes_ok": bool(shapes.all())}


def train(kind, D, I, params, xs, ys, batch, eta, test_xs, test_ys):
    """The grader's fixed training protocol on the student's class: mean gradient over each minibatch (the student's
    update gets eta / batch after `batch` accumulated backward calls), then the loss on every test sequence."""
    mapped = build(kind, D, I)
    apply(mapped, params)
    for start in range(0, len(xs), batch):
        mapped.obj.zero_grad()
        for x, y in zip(xs[start:start + batch], ys[start:start + batch]):
            sequence_gradient(kind, mapped, x, y)
        mapped.obj.update(eta / batch)
    return {"test_losses": np.array([sequence_loss(kind, mapped, x, y) for x, y in zip(test_xs, test_ys)])}


def rtrl_sequence(mapped, x, y):
    """From reset, one forward per step, the target (None: no learning) given at the last; ŷ of every step."""
    mapped.obj.reset()
    return [np.asarray(call_method(mapped.obj.forward, [x_t, y if t == len(x) - 1 else None], t),
                       dtype=float).reshape(-1) for t, x_t in enumerate(x)]


def sequence_gradient(kind, mapped, x, y):
    """Accumulate one sequence's gradient in the student's buffers."""
    if kind == "lstm":
        lstm_forward(mapped, x, y)
        mapped.obj.backward()
    else:
        rtrl_sequence(mapped, x, y)


def sequence_loss(kind, mapped, x, y):
    """The loss on one sequence, without learning."""
    if kind == "lstm":
        return lstm_forward(mapped, x, y)
    y_hat = rtrl_sequence(mapped, x, None)[-1]
    return float(-np.sum(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat)))


def globals_read(code):
    """Names a code object (and the comprehensions and lambdas inside it) loads as globals."""
    names = {i.argval for i in dis.get_instructions(code) if i.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    for const in code.co_consts:
        if inspect.iscode(const):
            names |= globals_read(const)
    return names


def describe():
    """Which of the exercise names the notebook defines, and the notebook globals each method reads."""
    ns = user_namespace()
    found = {name: name in ns for name in ("Gate", "LSTM", "LSTM_RTRL", "generate_data")}
    reads = {}
    for cls_name in ("Gate", "LSTM", "LSTM_RTRL"):
        cls = ns.get(cls_name)
        for attr, fn in (vars(cls).items() if isinstance(cls, type) else []):
            code = getattr(fn, "__code__", None)
            names = sorted({n for n in globals_read(code) if isinstance(ns.get(n), (int, float, np.ndarray))
                            and not isinstance(ns.get(n), bool) and not n.startswith("_")}) if code else []
            if names:
                reads[f"{cls_name}.{attr}"] = ", ".join(names)
    return {"found:" + k: v for k, v in found.items()} | {"reads:" + k: v for k, v in reads.items()}
