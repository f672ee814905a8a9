"""One codec for everything that crosses into or out of the student's kernel: JSON whose arrays travel as
np.save bytes in base64, never as pickle, and only in the dtypes a verdict needs (bool, int64, float64).

The grader imports this module; the installer ships the same source into the kernel, where it runs before any
student code, so the functions bound below are the pristine ones whatever a notebook later does to json, base64
or numpy (`np.save = None` cannot reach them).
"""

import base64
import io
import json

import numpy as np

ARRAY = "__ndarray__"  # the key of an encoded array: {"__ndarray__": base64 of np.save bytes}
_dumps, _loads, _b64encode, _b64decode = json.dumps, json.loads, base64.b64encode, base64.b64decode
_save, _load, _asarray, _BytesIO = np.save, np.load, np.asarray, io.BytesIO
_ndarray, _generic, _bool, _int64, _float64 = np.ndarray, np.generic, np.bool_, np.int64, np.float64
_TARGET = {"b": _bool, "i": _int64, "u": _int64, "f": _float64}  # dtype kind -> what it travels as
_ALLOWED = (np.dtype(_bool), np.dtype(_int64), np.dtype(_float64))


def encode(value):
    """`value` as JSON-ready data: arrays become encoded arrays (float32 as float64, ...), numpy scalars Python
    numbers; anything else than numbers, strings, None, lists, tuples and dicts of those is refused."""
    if isinstance(value, (_ndarray, _generic)):
        array = _asarray(value)
        target = _TARGET.get(array.dtype.kind)
        if target is None:
            raise TypeError(f"the grader cannot take numpy values of dtype {array.dtype}")
        if isinstance(value, _generic):
            return array.astype(target).item()
        buffer = _BytesIO()
        _save(buffer, array.astype(target, casting="safe"), allow_pickle=False)
        return {ARRAY: _b64encode(buffer.getvalue()).decode("ascii")}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        return {str(key): encode(item) for key, item in value.items()}
    raise TypeError(f"the grader cannot take values of type {type(value).__name__}")


def decode(value):
    """The inverse of `encode`: arrays read without pickle, in the allowed dtypes only (else ValueError)."""
    if isinstance(value, list):
        return [decode(item) for item in value]
    if isinstance(value, dict):
        if value.keys() == {ARRAY}:
            array = _load(_BytesIO(_b64decode(value[ARRAY], validate=True)), allow_pickle=False)
            if array.dtype not in _ALLOWED:
                raise ValueError(f"unexpected dtype {array.dtype}")
            return array
        return {key: decode(item) for key, item in value.items()}
    return value


def dumps(value):
    return _dumps(encode(value))


def loads(text):
    return decode(_loads(text))
