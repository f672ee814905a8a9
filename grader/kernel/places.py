"""Where a student keeps a parameter or its gradient: an attribute of an object (in its __dict__, its __slots__, or a
property of its class), or an entry of a dict or list that the object holds (`self.params["W"]`, `self.weights[0]`),
one level down.

The adapter looks for the interface's parameters among an object's places, and for each one's gradient buffer
among the places named like a gradient of it: dW, grad_W, nabla_W_L, g_W, W_grad, dL_dW, or the same key in a
sibling container named like gradients (`self.grads["W"]` beside `self.params["W"]`).
"""

import re
from typing import NamedTuple

import numpy as np

from .table import GATE_PARAMETERS, GATES, NETWORK_PARAMETERS

GRADIENT_NAME = r"^(d|grad|nabla|g_|delta)_?{name}(_?l)?$|^{name}_?grad$|^dl_?d_?{name}$"  # {name}: the parameter's
GRADIENT_LIKE = r"^(d|grad|nabla|g_|delta)_?.|_grad$|^dl_?d"  # any gradient's name, left out of the parameters
GRADIENT_CONTAINER = r"^(d|g|grads?|gradients?|nablas?|deltas?)(_?(params|weights|w))?$|grad"
MAX_LIST = 16
# The interface's own names, tried on an object whose class serves attributes from __getattr__ (names that are in
# no __dict__ and no property: `gate.W` read from a record the object keeps).
SERVED_NAMES = tuple(prefix + name for name in GATE_PARAMETERS + NETWORK_PARAMETERS for prefix in ("", "d")) + GATES


class Place(NamedTuple):
    """One value in a student's object."""

    root: object  # the object whose places these are (a Gate, an LSTM)
    owner: object  # the object, or the dict or list that holds the value
    key: object  # the attribute's name, the dict's key or the list's index
    container: str | None  # the attribute that holds the dict or list; None for an attribute itself

    @property
    def name(self):
        """What names are matched against: the attribute's name, or the entry's key."""
        return str(self.key)

    @property
    def path(self):
        """Where the value is, as the student would write it after `self.`."""
        return self.name if self.container is None else f"{self.container}[{self.key!r}]"

    def read(self):
        return getattr(self.owner, self.key) if self.container is None else self.owner[self.key]

    def write(self, value):
        """Into the student's own array where it takes the value (so that what aliases it, a list of parameters, a
        view into one stacked vector, a property, sees the new value, as after their own update), else rebound."""
        old = self.read()
        in_place = isinstance(old, np.ndarray) and old.dtype.kind == "f" and old.flags.writeable
        if in_place and old.shape == np.shape(value):
            old[...] = value
            if np.array_equal(self.read(), old, equal_nan=True):
                return
        if self.container is None:
            setattr(self.owner, self.key, value)
        else:
            self.owner[self.key] = value


def attributes(root, properties=True):
    """(name, value) of an object's attributes: its __dict__, its __slots__, then the properties of its class (and
    the interface's names, where its class has __getattr__) that give an array of their own, one that is not already
    among the others (such as a view into a stacked matrix), or a gate."""
    names = list(getattr(root, "__dict__", {}))
    for cls in type(root).__mro__:
        slots = vars(cls).get("__slots__", ())
        names += [slots] if isinstance(slots, str) else [n for n in slots if n not in ("__dict__", "__weakref__")]
    found = [(n, getattr(root, n)) for n in dict.fromkeys(names) if hasattr(root, n)]
    if not properties:
        return found
    held = {id(v) for _, v in found} | {id(e) for _, v in found for _, e in entries(v)}
    served = SERVED_NAMES if hasattr(type(root), "__getattr__") else ()
    computed = [n for cls in type(root).__mro__ for n, v in vars(cls).items() if isinstance(v, property)]
    for name in dict.fromkeys(n for n in computed + list(served) if n not in dict(found)):
        try:
            value = getattr(root, name)
        except Exception:  # a property that fails on this object, or a name not served, is not a parameter's place
            continue
        if id(value) not in held and (isinstance(value, np.ndarray) or name in GATES and hasattr(value, "forward")):
            found.append((name, value))
    return found


def entries(value):
    """(key, value) of a dict, or of a short list (a few parameters, not a step-by-step record); else none."""
    if isinstance(value, dict):
        return list(value.items())
    return list(enumerate(value)) if isinstance(value, list) and len(value) <= MAX_LIST else []


def places(root):
    """Every attribute of `root`, then every entry of the dicts and lists among them: an attribute W_z is found before
    an entry S["W_z"] (sensitivities kept by parameter name) of the same shape."""
    held = attributes(root)
    return [Place(root, root, attribute, None) for attribute, _ in held] + [
        Place(root, value, key, attribute) for attribute, value in held for key, _ in entries(value)
    ]


def arrays_of(root):
    """{path: place} of the numpy arrays among `root`'s places."""
    return {p.path: p for p in places(root) if isinstance(p.read(), np.ndarray)}


def is_gradient(place):
    return bool(re.search(GRADIENT_LIKE, place.name, re.I)) or (
        place.container is not None and bool(re.search(GRADIENT_CONTAINER, place.container, re.I))
    )


def gradient_of(place):
    """The place of the gradient buffer belonging to the parameter at `place`, or None where none is recognisable."""
    pattern = GRADIENT_NAME.format(name=re.escape(place.name))
    for other in places(place.root):
        same_container = other.container == place.container and other.owner is place.owner
        if same_container and other.key != place.key and re.match(pattern, other.name, re.I):
            return other
        if (
            place.container is not None
            and other.container not in (None, place.container)
            and other.key == place.key
            and re.search(GRADIENT_CONTAINER, other.container, re.I)
        ):
            return other
    return None
