"""The student's classes mapped onto the interface, whatever they are called and however they store things.

Pure mapping, no verdicts: which constructor arguments to try (sizes matched by parameter names, then common orders),
which attributes hold the interface's parameters (by shape and name, transposed storage included) and their gradient
buffers, learnt once per class at sizes where shapes tell them apart. Calling the methods is calls.py's. Every
function takes the objects or the namespace it works on, so tests call it directly on sample students' classes,
without a kernel.
It needs numpy and the standard library only.

Interface names (whatever the student called them): a Gate's W (I, D), R (I, I), b (I,); a network's W_z ... b_o,
W_y (K, I), b_y (K,), for the LSTM's gates as for LSTM_RTRL's attributes.
"""

import dis
import inspect
import re
from copy import deepcopy
from typing import NamedTuple

import numpy as np

from .calls import (
    ACTIVATIONS,
    AdapterError,
    as_float,
    backward_hears_across,
    breach,
    hears_across,
    notebook_sizes,
    positional_params,
    wants_columns,
)
from .places import Place, arrays_of, attributes, gradient_of, is_gradient
from .table import DEFINITIONS, GATE_PARAMETERS, GATES, shape, signature, spelled

GATE_NAMES = {
    "z": r"^(z|g|cell|c_?in|block|inp?ut_?act|cand)",
    "i": r"^(i|in|input)(_?gate)?$|^ig",
    "o": r"^(o|out|output)(_?gate)?$|^og",
}
PARAM_PATTERNS = {  # interface name -> regex on the student's attribute name (after gradient prefixes are excluded)
    "W": r"^(w|weight|wx|w_x|w_in|input_weight)",
    "R": r"^(r|u|v|wh|w_h|rec|recur|hidden_weight)|.*_?rec",
    "b": r"^(b|bias)",
    "W_y": r"^(w_?y|v|w_?out|why|w_?o?ut)",
    "b_y": r"^(b_?y|b_?out|c$)",
}
SIZE_ARG = {
    "D": r"^(d|in|inp|input|n_?in|input_?(size|dim)|dim_?in|x_?dim)",
    "I": r"^(i|h|hidden|n_?h|units|hid|hidden_?(size|dim)|out|output_?size|n_?out|size|cell)",
    "T": r"^(t|seq|time|len|steps|n_?steps|sequence_?length)",
    "K": r"^(k|n_?out|output_?(size|dim)|out_?(size|dim)|n_?classes)",
}
FUNCTION_ARG = r"act|func|fn|phi|sigma|^a?f$|^af_|^df$|der|prime"
DERIVATIVE_ARG = r"der|prime|grad|^d_?f|^df|^d_?act"
LEARNING_SIZES = {"D": 2, "I": 3}  # distinct, so that every parameter's shape tells which it is


# ---------------------------------------------------------------- building objects


def constructor_candidates(cls, sizes, activation=None):
    """Argument lists worth trying, most likely first: sizes matched by parameter names, then in the interface's
    order, then other orders (sizes swapped, an extra T). Activation parameters are filled by their names; an
    optional output size (output_size=1) is given where the sizes ask for more than one output."""

    def output_size(p):
        return (
            sizes.get("K", 1) != 1
            and p.default is not inspect.Parameter.empty
            and re.match(SIZE_ARG["K"], p.name, re.I)
        )

    params = [
        p
        for p in positional_params(cls.__init__)
        if p.kind != p.VAR_POSITIONAL
        and (p.default is inspect.Parameter.empty or re.search(FUNCTION_ARG, p.name, re.I) or output_size(p))
    ]
    if not params:  # __init__(self, *args): only the interface's own order can be tried
        yield [sizes["D"], sizes["I"]] + (list(ACTIVATIONS[activation]) if activation else [sizes["K"]])
        return
    size_slots = [p for p in params if not re.search(FUNCTION_ARG, p.name, re.I)]
    by_name = tuple(
        "K" if output_size(p) else next((s for s, pattern in SIZE_ARG.items() if re.match(pattern, p.name, re.I)), None)
        for p in size_slots
    )
    orders = [
        by_name,
        ("D", "I", "K"),
        ("I", "D", "K"),
        ("D", "I", "T"),
        ("I", "D", "T"),
        ("T", "D", "I"),
        ("D", "I", "K", "T"),
        ("D", "I", "T", "K"),
    ]
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
                args.append(
                    ACTIVATIONS[activation][1 if re.search(DERIVATIVE_ARG, p.name, re.I) else 0] if activation else None
                )
            else:
                args.append(next(values))
        yield args


def find_param(root, kind, wanted, taken):
    """The place holding a parameter of `kind` (W, R, b, W_y, b_y) and shape `wanted`: (place, transposed), or None.
    Names decide between arrays of the same shape, then values (parameters are not all zero)."""
    candidates = []
    for path, place in arrays_of(root).items():
        if path in taken or is_gradient(place) and place.name.lower() != "d":
            continue
        array = place.read()
        squeezed = array.reshape(-1) if len(wanted) == 1 and array.size == wanted[0] else array
        if squeezed.shape == wanted:
            candidates.append((place, False))
        elif len(wanted) == 2 and wanted[0] != wanted[1] and array.shape == wanted[::-1]:
            candidates.append((place, True))
    named = [c for c in candidates if re.match(PARAM_PATTERNS[kind], c[0].name, re.I)]
    nonzero = [c for c in (named or candidates) if np.any(c[0].read() != 0)]
    return (nonzero or named or candidates or [None])[0]


def find_named(root, pattern, wanted, taken):
    """The place named like `pattern` with shape `wanted` (or its transpose): (place, transposed)."""
    for path, place in arrays_of(root).items():
        if path not in taken and not is_gradient(place) and re.match(pattern, place.name, re.I):
            array = place.read()
            if array.shape == wanted or array.size == wanted[0] and len(wanted) == 1:
                return place, False
            if len(wanted) == 2 and array.shape == wanted[::-1]:
                return place, True
    raise AdapterError(f"no attribute named like {pattern.split('|')[0][1:-1]} of shape {wanted}")


class Slot(NamedTuple):
    """Where one interface parameter lives in the student's objects, and its interface shape."""

    place: Place
    transposed: bool
    shape: tuple


class Mapped:
    """One student object with the interface's parameter names mapped onto its places, and whether its methods want
    column vectors."""

    def __init__(self, obj, params, columns=False):
        self.obj, self.params, self.columns = obj, params, columns  # params: interface name -> Slot

    def get(self, name):
        slot = self.params[name]
        value = as_float(slot.place.read())
        return (value.T if slot.transposed else value).reshape(slot.shape)

    def set(self, name, value):
        slot = self.params[name]
        old = np.asarray(slot.place.read())
        dtype = old.dtype if old.dtype.kind == "f" else float  # float32 code keeps computing in float32
        slot.place.write(np.array(value.T if slot.transposed else value, dtype=dtype).reshape(old.shape))

    def grad(self, name):
        """The gradient buffer of a parameter in the interface's layout, or None where none is recognisable."""
        slot = self.params[name]
        buffer = gradient_of(slot.place)
        if buffer is None or buffer.read() is None:
            return None
        value = as_float(buffer.read())
        if value.ndim == 0:  # a buffer reset to the number 0 stands for zeros of the parameter's shape
            value = np.full(slot.shape[::-1] if slot.transposed else slot.shape, float(value))
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
            raise AdapterError(
                f"no array of shape {wanted} for {spelled(class_name, name(kind))} among {sorted(arrays_of(obj))}"
            )
        taken.add(found[0].path)
        params[name(kind)] = Slot(*found, wanted)
    return params


def output_layer(obj, sizes, taken):
    params = {}
    for name in ("W_y", "b_y"):
        wanted = shape(name, sizes["D"], sizes["I"], sizes["K"])
        found = find_param(obj, name, wanted, taken)
        if found is None:
            raise AdapterError(f"no array of shape {wanted} for {name} among {sorted(arrays_of(obj))}")
        taken.add(found[0].path)
        params[name] = Slot(*found, wanted)
    return params


def gates_among(named, gate_class):
    """(name, object) of the gates among named values: instances of the notebook's Gate, else anything with forward
    and backward methods."""
    found = [(n, v) for n, v in named if gate_class is not None and isinstance(v, gate_class)]
    return found if len(found) >= 3 else [(n, v) for n, v in named if hasattr(v, "forward") and hasattr(v, "backward")]


def lstm_gates(obj, gate_class):
    """The student's three Gate objects, keyed z, i, o: by their names, else the one name left, else the order they
    were assigned in. Gates kept in a dict or list instead of attributes are found there (a breach)."""
    found = gates_among(attributes(obj), gate_class)
    for _, value in attributes(obj) if len(found) < 3 else ():
        items = (
            value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, (list, tuple)) else ()
        )
        inner = gates_among([(str(k), v) for k, v in items], gate_class)
        if len(inner) >= 3:
            breach("container", type(obj).__name__)
            found = inner
            break
    gates = {}
    for key, pattern in GATE_NAMES.items():
        named = [v for n, v in found if re.match(pattern, n, re.I) and all(v is not g for g in gates.values())]
        if named:
            gates[key] = named[0]
    left = [v for _, v in found if all(v is not g for g in gates.values())]
    if len(gates) == 2 and len(left) == 1:
        gates |= {key: left[0] for key in GATES if key not in gates}
    if len(gates) < 3 and len(found) == 3:
        gates = dict(zip(GATES, (v for _, v in found)))
    if len(gates) < 3:
        raise AdapterError(f"LSTM has no three recognisable gates (found {[n for n, _ in found]})")
    return gates


def map_lstm(obj, sizes, ns):
    """An LSTM's three gates and output layer; an LSTM that holds the gates' weights itself (Wz, R_i, ...), without
    Gate objects, is mapped as LSTM_RTRL is."""
    try:
        gates = lstm_gates(obj, ns.get("Gate"))
    except AdapterError:
        if not any(re.match(r"^[WR]_?[zio]$", p.name, re.I) for p in arrays_of(obj).values()):
            raise
        return map_flat(obj, sizes, ns)
    params = {}
    for g, gate in gates.items():
        params |= map_gate(gate, sizes, "LSTM", lambda kind, g=g: f"{kind}_{g}")
    return params | output_layer(obj, sizes, set())


def map_flat(obj, sizes, ns):
    """A network whose gates' weights are its own attributes, named after the gate: W_z, Wz, z_W, ..."""
    params, taken = {}, set()
    for g in GATES:
        for kind in GATE_PARAMETERS:
            wanted = shape(kind, sizes["D"], sizes["I"])
            found = find_named(obj, rf"^{kind}_?{g}$|^{kind}{g}$|^{g}_?{kind}$", wanted, taken)
            taken.add(found[0].path)
            params[f"{kind}_{g}"] = Slot(*found, wanted)
    return params | output_layer(obj, sizes, taken)


MAPPERS = {"Gate": lambda obj, sizes, ns: map_gate(obj, sizes), "LSTM": map_lstm, "LSTM_RTRL": map_flat}


class Learnt(NamedTuple):
    """What is known of a class once it was built at distinct sizes: where each parameter is, and its vectors."""

    layout: dict  # interface name -> (path, transposed)
    columns: bool


LEARNT = {}  # class -> Learnt


def first_mapped(ns, class_name, sizes, activation):
    """(object, its parameters' slots, the constructor arguments): the first argument order that maps."""
    cls, errors = ns[class_name], []
    for args in constructor_candidates(cls, sizes, activation):
        try:
            obj = cls(*args)
            return obj, MAPPERS[class_name](obj, sizes, ns), args
        except Exception as error:  # a wrong guess of the argument order fails somewhere in their code
            errors.append(error)
    raise not_built(signature(class_name), errors)


def learn(ns, class_name, sizes, activation):
    """Build the class once at distinct sizes, where shapes tell every parameter apart but a square R, whose
    orientation is then found by behaviour (a Gate's from the Gate class: where forward and backward disagree, the
    template's, so that the forward that breaks it is the one charged); note whether it wants column vectors.
    Meanwhile the notebook's size globals hold the distinct sizes, for methods that read them."""
    cls = ns[class_name]
    distinct = dict(sizes, **LEARNING_SIZES)
    with notebook_sizes(ns, **distinct):
        obj, params, args = first_mapped(ns, class_name, distinct, activation)
        protocol = DEFINITIONS[class_name].protocol
        columns = wants_columns(lambda: cls(*args), protocol, distinct)
        if columns:
            breach("columns", class_name)
        layout = {n: (s.place.path, s.transposed) for n, s in params.items()}
        gate = next((s.place.root for s in params.values() if s.place.root is not obj), None)
        if gate is not None and type(gate) is ns.get("Gate"):  # an LSTM of Gate objects: R as the Gate class holds it
            if type(gate) not in LEARNT:
                learn(ns, "Gate", sizes, "tanh")
            transposed = LEARNT[type(gate)].layout["R"][1]
        elif gate is not None:  # gates of a class of their own (a subclass of Gate, say): learnt on copies of one
            gate_columns = wants_columns(lambda: deepcopy(gate), "module", distinct)
            transposed = r_transposed(lambda: mapped_copy(gate, distinct, gate_columns), "module", distinct)
        else:
            transposed = r_transposed(
                lambda: Mapped(*first_mapped(ns, class_name, distinct, activation)[:2], columns), protocol, distinct
            )
    for name in layout:
        if name.startswith("R"):
            layout[name] = (layout[name][0], transposed)
    LEARNT[cls] = Learnt(layout, columns)


def mapped_copy(gate, sizes, columns):
    """A copy of one of the network's gates, mapped as a Gate: a probe that leaves the network's own gates alone."""
    copy = deepcopy(gate)
    return Mapped(copy, map_gate(copy, sizes), columns)


def r_transposed(probe, protocol, sizes):
    """Whether a square R is stored transposed (h @ R), from forward, on objects made by `probe()`; for a gate module
    from backward as well: where the two disagree (forward's R @ h with backward's h @ R, or back), the template's
    orientation, so that the forward that breaks it is the one charged."""
    transposed = not hears_across(probe(), protocol, sizes)
    if protocol == "module" and backward_hears_across(probe(), sizes) == transposed:
        return False
    return transposed


def construct(ns, class_name, sizes, activation=None):
    """The student's `class_name` built at `sizes`, mapped onto the interface as learnt at distinct sizes."""
    if ns[class_name] not in LEARNT:
        learn(ns, class_name, sizes, activation)
    learnt = LEARNT[ns[class_name]]
    obj, params, _ = first_mapped(ns, class_name, sizes, activation)
    for name, slot in params.items():
        path, transposed = learnt.layout[name]
        place = arrays_of(slot.place.root).get(path)
        if place is not None and place.read().size == np.prod(slot.shape):
            params[name] = slot._replace(place=place, transposed=transposed)
    return Mapped(obj, params, learnt.columns)


def not_built(interface, errors):
    """The first attempt (the interface's own argument order) is the one worth telling the student about."""
    first = errors[0] if errors else None
    if isinstance(first, NotImplementedError):
        return AdapterError(f"constructing it as {interface} raised NotImplementedError: it is not implemented yet")
    what = f"{type(first).__name__}: {first}".rstrip(": ") if first is not None else "no constructor found"
    return AdapterError(f"it could not be constructed as {interface} or a common variant ({what})")


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
        names = (
            sorted(
                {
                    n
                    for n in globals_read(code)
                    if isinstance(ns.get(n), (int, float, np.ndarray))
                    and not isinstance(ns.get(n), bool)
                    and not n.startswith("_")
                }
            )
            if code
            else []
        )
        if names:
            reads[f"{cls.__name__}.{attr}"] = ", ".join(names)
    return reads
