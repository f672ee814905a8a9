"""The student's classes mapped onto the interface, whatever they are called and however they store things.

Pure mapping, no verdicts: which constructor arguments to try (sizes matched by parameter names, then common orders),
which attributes hold the interface's parameters (by shape and name, transposed storage included) and their gradient
buffers, and how to call a method whatever its signature (a time index where it asks for one). Every function takes
the objects or the namespace it works on, so tests call it directly on sample students' classes, without a kernel.
It needs numpy and the standard library only.

Interface names (whatever the student called them): a Gate's W (I, D), R (I, I), b (I,); a network's W_z ... b_o,
W_y (K, I), b_y (K,), for the LSTM's gates as for LSTM_RTRL's attributes.
"""
import dis
import inspect
import re
from typing import NamedTuple

import numpy as np

from .table import GATE_PARAMETERS, GATES, shape, signature, spelled

ACTIVATIONS = {
    "tanh": (np.tanh, lambda s: 1.0 - np.tanh(s) ** 2),
    "sigmoid": (lambda s: 1.0 / (1.0 + np.exp(-s)), lambda s: np.exp(-s) / (1.0 + np.exp(-s)) ** 2),
    "softsign": (lambda s: s / (1.0 + np.abs(s)), lambda s: 1.0 / (1.0 + np.abs(s)) ** 2),
}
GATE_NAMES = {"z": r"^(z|g|cell|c_?in|block|inp?ut_?act)", "i": r"^(i|in|input)(_?gate)?$|^ig",
              "o": r"^(o|out|output)(_?gate)?$|^og"}
PARAM_PATTERNS = {  # interface name -> regex on the student's attribute name (after gradient prefixes are excluded)
    "W": r"^(w|weight|wx|w_x|w_in|input_weight)", "R": r"^(r|u|v|wh|w_h|rec|recur|hidden_weight)", "b": r"^(b|bias)",
    "W_y": r"^(w_?y|v|w_?out|why|w_?o?ut)", "b_y": r"^(b_?y|b_?out|c$)",
}
GRAD_PREFIX = r"^(d|grad|nabla|g_|delta)_?"
SIZE_ARG = {"D": r"^(d|in|inp|input|n_?in|input_?(size|dim)|dim_?in|x_?dim)",
            "I": r"^(i|h|hidden|n_?h|units|hid|hidden_?(size|dim)|out|output_?size|n_?out|size|cell)",
            "T": r"^(t|seq|time|len|steps|n_?steps|sequence_?length)",
            "K": r"^(k|n_?out|output_?(size|dim)|out_?(size|dim)|n_?classes)"}
FUNCTION_ARG = r"act|func|fn|phi|sigma|^a?f$|^af_|^df$|der|prime"
DERIVATIVE_ARG = r"der|prime|grad|^d_?f|^df|^d_?act"
TIME_ARG = r"t|time|step|idx|index|timestep|time_step"


class AdapterError(Exception):
    """The student's class could not be mapped onto the interface; the message says what was looked for."""


# ---------------------------------------------------------------- building objects

def positional_params(callable_):
    try:
        params = list(inspect.signature(callable_).parameters.values())
    except (TypeError, ValueError):
        return []
    return [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self"]


def constructor_candidates(cls, sizes, activation=None):
    """Argument lists worth trying, most likely first: sizes matched by parameter names, then in the interface's
    order, then other orders (sizes swapped, an extra T). Activation parameters are filled by their names."""
    params = [p for p in positional_params(cls.__init__)
              if p.default is inspect.Parameter.empty or re.search(FUNCTION_ARG, p.name, re.I)]
    if not params:  # __init__(self, *args): only the interface's own order can be tried
        yield [sizes["D"], sizes["I"]] + (list(ACTIVATIONS[activation]) if activation else [sizes["K"]])
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
        args = []
        for p in params:
            if re.search(FUNCTION_ARG, p.name, re.I):
                args.append(ACTIVATIONS[activation][1 if re.search(DERIVATIVE_ARG, p.name, re.I) else 0]
                            if activation else None)
            else:
                args.append(next(values))
        yield args


def arrays_of(obj):
    return {name: value for name, value in vars(obj).items() if isinstance(value, np.ndarray)}


def find_param(obj, kind, wanted, taken):
    """The attribute holding a parameter of `kind` (W, R, b, W_y, b_y) and shape `wanted`: (attribute, transposed),
    or None. Names decide between arrays of the same shape, then values (parameters are not all zero)."""
    arrays = {n: a for n, a in arrays_of(obj).items() if n not in taken and not re.match(GRAD_PREFIX + ".", n, re.I)
              or (n not in taken and re.fullmatch(r"d", n, re.I))}
    candidates = []
    for name, array in arrays.items():
        squeezed = array.reshape(-1) if len(wanted) == 1 and array.size == wanted[0] else array
        if squeezed.shape == wanted:
            candidates.append((name, False))
        elif len(wanted) == 2 and wanted[0] != wanted[1] and array.shape == wanted[::-1]:
            candidates.append((name, True))
    named = [c for c in candidates if re.match(PARAM_PATTERNS[kind], c[0], re.I)]
    nonzero = [c for c in (named or candidates) if np.any(arrays[c[0]] != 0)]
    return (nonzero or named or candidates or [None])[0]


def find_named(obj, pattern, wanted, taken):
    """The attribute named like `pattern` with shape `wanted` (or its transpose): (attribute, transposed)."""
    for name, array in arrays_of(obj).items():
        if name not in taken and re.match(pattern, name, re.I):
            if array.shape == wanted or array.size == wanted[0] and len(wanted) == 1:
                return name, False
            if len(wanted) == 2 and array.shape == wanted[::-1]:
                return name, True
    raise AdapterError(f"no attribute named like {pattern.split('|')[0][1:-1]} of shape {wanted}")


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
        """The gradient buffer of a parameter in the interface's layout, or None where none is recognisable."""
        slot = self.params[name]
        buffer = find_grad(slot.owner, slot.attr)
        if buffer is None or getattr(slot.owner, buffer) is None:
            return None
        value = np.asarray(getattr(slot.owner, buffer), dtype=float)
        return (value.T if slot.transposed else value).reshape(slot.shape)

    def values(self):
        return {name: self.get(name) for name in self.params}

    def grads(self):
        """The gradient buffers by interface name, where the student has recognisable ones (else left out)."""
        return {name: g for name, g in ((n, self.grad(n)) for n in self.params) if g is not None}

    def assign(self, values):
        for name, value in values.items():
            self.set(name, np.asarray(value, dtype=float))


def map_gate(obj, sizes, class_name="Gate", name=lambda kind: kind):
    """A Gate's W, R, b (named `name(kind)` in the result); R first, since a square W would look like it."""
    params, taken = {}, set()
    for kind in ("R", "W", "b"):
        wanted = shape(kind, sizes["D"], sizes["I"])
        found = find_param(obj, kind, wanted, taken)
        if found is None:
            raise AdapterError(f"no array of shape {wanted} for {spelled(class_name, name(kind))} among "
                               f"{sorted(arrays_of(obj))}")
        taken.add(found[0])
        params[name(kind)] = Slot(obj, *found, wanted)
    return params


def output_layer(obj, sizes, taken):
    params = {}
    for name in ("W_y", "b_y"):
        wanted = shape(name, sizes["D"], sizes["I"], sizes["K"])
        found = find_param(obj, name, wanted, taken)
        if found is None:
            raise AdapterError(f"no array of shape {wanted} for {name} among {sorted(arrays_of(obj))}")
        taken.add(found[0])
        params[name] = Slot(obj, *found, wanted)
    return params


def lstm_gates(obj, gate_class):
    """The student's three Gate objects, keyed z, i, o."""
    found = [(n, v) for n, v in vars(obj).items() if gate_class is not None and isinstance(v, gate_class)]
    if len(found) < 3:
        found = [(n, v) for n, v in vars(obj).items() if hasattr(v, "forward") and hasattr(v, "backward")]
    gates = {}
    for key, pattern in GATE_NAMES.items():
        named = [v for n, v in found if re.match(pattern, n, re.I) and v not in gates.values()]
        if named:
            gates[key] = named[0]
    if len(gates) < 3 and len(found) == 3:  # names not recognised: take the order they were assigned in
        gates = dict(zip(GATES, (v for _, v in found)))
    if len(gates) < 3:
        raise AdapterError(f"LSTM has no three recognisable gates (found {[n for n, _ in found]})")
    return gates


def map_lstm(obj, sizes, ns):
    params = {}
    for g, gate in lstm_gates(obj, ns.get("Gate")).items():
        params |= map_gate(gate, sizes, "LSTM", lambda kind, g=g: f"{kind}_{g}")
    return params | output_layer(obj, sizes, set())


def map_rtrl(obj, sizes, ns):
    params, taken = {}, set()
    for g in GATES:
        for kind in GATE_PARAMETERS:
            wanted = shape(kind, sizes["D"], sizes["I"])
            found = find_named(obj, rf"^{kind}_?{g}$|^{kind}{g}$|^{g}_?{kind}$", wanted, taken)
            taken.add(found[0])
            params[f"{kind}_{g}"] = Slot(obj, *found, wanted)
    return params | output_layer(obj, sizes, taken)


MAPPERS = {"Gate": lambda obj, sizes, ns: map_gate(obj, sizes), "LSTM": map_lstm, "LSTM_RTRL": map_rtrl}
LAYOUTS = {}  # class -> {interface name: (attribute, transposed)}, learnt where D ≠ I shows a transposition


def construct(ns, class_name, sizes, activation=None):
    """The student's `class_name` built at `sizes`: the first argument order whose object maps onto the interface.

    Where D = I a transposed W looks like an untransposed one, so the layout is learnt once at distinct sizes."""
    cls = ns[class_name]
    if sizes["D"] == sizes["I"] and cls not in LAYOUTS:
        construct(ns, class_name, dict(sizes, D=2, I=3), activation)
    errors = []
    for args in constructor_candidates(cls, sizes, activation):
        try:
            obj = cls(*args)
            params = MAPPERS[class_name](obj, sizes, ns)
            break
        except Exception as error:  # a wrong guess of the argument order fails somewhere in their code
            errors.append(error)
    else:
        raise not_built(signature(class_name), errors)
    learnt = LAYOUTS.setdefault(cls, {n: (s.attr, s.transposed) for n, s in params.items()})
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


# ---------------------------------------------------------------- calling methods whatever their signatures

def call_method(method, values, step):
    """Call a student method, passing the interface's values by position and a time index where it asks for one."""
    args, remaining = [], list(values)
    for p in positional_params(method):
        if re.fullmatch(TIME_ARG + "|k", p.name, re.I):
            args.append(step)
        elif remaining:
            args.append(remaining.pop(0))
        elif p.default is not inspect.Parameter.empty:
            break
        else:
            args.append(None)
    return method(*args)


def call_backward(method, grad, step, x, h):
    """A Gate's backward, given the time index, x or h where its signature asks for them: (grad_x, grad_h)."""
    args = []
    for p in positional_params(method):
        if re.fullmatch(TIME_ARG, p.name, re.I):
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
        return tuple(np.asarray(v, dtype=float).reshape(-1) for v in call_backward(self.m.obj.backward, grad_a, step, x, h))


# ---------------------------------------------------------------- what the notebook defines

def globals_read(code):
    """Names a code object (and the comprehensions and lambdas inside it) loads as globals."""
    names = {i.argval for i in dis.get_instructions(code) if i.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    for const in code.co_consts:
        if inspect.iscode(const):
            names |= globals_read(const)
    return names


def notebook_globals_read(ns, cls):
    """{method: "T, I"}: the notebook's numeric globals each method of a class reads."""
    reads = {}
    for attr, fn in vars(cls).items():
        code = getattr(fn, "__code__", None)
        names = sorted({n for n in globals_read(code) if isinstance(ns.get(n), (int, float, np.ndarray))
                        and not isinstance(ns.get(n), bool) and not n.startswith("_")}) if code else []
        if names:
            reads[f"{cls.__name__}.{attr}"] = ", ".join(names)
    return reads
