"""Stage 4: the student's classes, reached through the adapter inside their kernel.

Arguments travel into the kernel as JSON with arrays in np.save form; results come back through the session's
token channel. Nothing here trusts a number more than the student's honest code would have produced it.
"""
import base64
import io
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import StudentCodeError

ADAPTER_SOURCE = (Path(__file__).parent / "adapter.py").read_text()


def encode(value):
    if isinstance(value, np.ndarray):
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(value, dtype=float), allow_pickle=False)
        return {"__array__": base64.b64encode(buffer.getvalue()).decode()}
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


DOING = {  # what a call does, in the words of a timeout or error message
    "describe": "looking up your classes", "fresh_params": "constructing your class",
    "gate_scenario": "running your Gate's forward, backward and update", "gate_losses": "running Gate.forward",
    "lstm_scenario": "running your LSTM's forward, backward and update", "lstm_losses": "running LSTM.forward",
    "rtrl_scenario": "running your LSTM_RTRL step by step", "rtrl_memory": "measuring your LSTM_RTRL's memory",
    "data_samples": "drawing from your generate_data", "train": "training your network",
}


class Student:
    """Calls adapter functions in the student's kernel: `student.run("gate_scenario", D=2, ...)` -> dict of arrays."""

    def __init__(self, session, call_timeout=60.0):
        self.session = session
        self.call_timeout = call_timeout
        self.name = f"_grader_adapter_{secrets.token_hex(8)}"
        self.session.install(  # a module of its own, outside the student's namespace, that later calls import
            "import sys, types\n"
            f"adapter = types.ModuleType({self.name!r})\n"
            f"exec(compile({ADAPTER_SOURCE!r}, 'grader-adapter', 'exec'), adapter.__dict__)\n"
            f"sys.modules[{self.name!r}] = adapter\n"
            "result = {}\n",
            what="the grader's setup in your kernel",
        )

    def run(self, function, timeout=None, **kwargs):
        payload = json.dumps(encode(kwargs))
        code = f"import {self.name} as adapter\nresult = adapter.{function}(**adapter.decode({payload!r}))"
        return self.session.call(code, timeout=timeout or self.call_timeout, what=DOING.get(function, function))

    def describe(self) -> "Described":
        described = self.run("describe")
        return Described(
            defined={k.split(":", 1)[1]: bool(v) for k, v in described.items() if k.startswith("found:")},
            globals_read={k.split(":", 1)[1]: str(v) for k, v in described.items() if k.startswith("reads:")})


@dataclass(frozen=True)
class Described:
    """What the notebook defines after running: which exercise names exist (Gate, LSTM, LSTM_RTRL, generate_data),
    and the notebook globals each of their methods reads ("LSTM.forward" -> "T, I")."""
    defined: dict
    globals_read: dict


def adapter_failure(error: StudentCodeError) -> bool:
    """The adapter's own 'cannot map your class' error, as opposed to the student's code raising."""
    return error.ename == "AdapterError"
