"""Stage 4: the student's classes, driven inside their kernel, with their answers read into typed records.

Each method runs one scenario of grader/kernel/scenarios.py in the student's kernel (arguments and answers travel
through the codec, never pickle) and returns the record of that scenario. Nothing here trusts a number more than
the student's honest code would have produced it: the checks compare the records with the reference.
"""
from dataclasses import dataclass, fields

import numpy as np

from reference.assignment import CLASSES, NAMES

from .errors import NoResult, StudentCodeError
from .kernel import codec

Arrays = dict[str, np.ndarray]  # by interface name: W, R, b for a Gate, W_z ... b_y for a network


@dataclass(frozen=True)
class Described:
    """Which exercise names the notebook defines after running, and the notebook globals each method reads
    ("LSTM.forward" -> "T, I")."""
    defined: dict[str, bool]
    globals_read: dict[str, str]


@dataclass(frozen=True)
class GateRun:
    """T forward calls of a Gate, then T backward calls in reverse, zero_grad, the same again and update(η)."""
    a: np.ndarray  # (T, I): forward's outputs
    grad_x: np.ndarray  # (T, D): what backward returned, in forward's order
    grad_h: np.ndarray  # (T, I)
    grads: Arrays  # the buffers after the first pass, where recognisable
    zeroed: dict[str, float]  # Σ|buffer| right after zero_grad
    updated: Arrays  # the parameters after the second pass and update(η)


@dataclass(frozen=True)
class LSTMRun:
    """From the given weights and zero_grad, forward and backward on every sequence, then update(η)."""
    losses: np.ndarray  # forward's loss per sequence
    grads: Arrays  # the accumulated buffers, where recognisable
    updated: Arrays


@dataclass(frozen=True)
class RTRLRun:
    """From the given weights and zero_grad, every sequence from reset with the target at its last step, then
    update(η)."""
    outputs: np.ndarray  # (steps of all sequences, K): ŷ(t) of every forward call
    grads: Arrays
    updated: Arrays


@dataclass(frozen=True)
class FreshParams:
    params: Arrays  # a newly constructed object's parameters


@dataclass(frozen=True)
class LossesAlong:
    losses: np.ndarray  # (directions, offsets): the student's own loss along each direction


@dataclass(frozen=True)
class Memory:
    held: np.ndarray  # numbers the object holds, per hidden size


@dataclass(frozen=True)
class DataSample:
    X: np.ndarray  # (n, T, 1)
    Y: np.ndarray  # (n, 1)
    is_generator: bool
    shapes_ok: bool  # every pair had x (T, 1) and y (1,)


@dataclass(frozen=True)
class Trained:
    test_losses: np.ndarray  # after the grader's training protocol, per test sequence


class Student:
    """The student's notebook as the checks see it: one method per scenario."""

    def __init__(self, session, call_timeout=60.0):
        self.session = session
        self.call_timeout = call_timeout

    def _run(self, record, scenario, what, timeout=None, **kwargs):
        code = (f"import {self.session.package} as grader\n"
                f"result = grader.scenarios.{scenario}(grader.channel.user_namespace(), "
                f"**grader.codec.loads({codec.dumps(kwargs)!r}))")
        answer = self.session.call(code, timeout=timeout or self.call_timeout, what=what)
        if set(answer) != {f.name for f in fields(record)}:
            raise NoResult(what)
        return record(**answer)

    def describe(self) -> Described:
        return self._run(Described, "describe", "looking up your classes", names=NAMES, classes=CLASSES)

    def fresh_params(self, class_name, D, I) -> Arrays:
        return self._run(FreshParams, "fresh_params", "constructing your class", class_name=class_name, D=D,
                         I=I).params

    def gate_run(self, D, I, activation, params, xs, hs, upstream, eta) -> GateRun:
        return self._run(GateRun, "gate_scenario", "running your Gate's forward, backward and update", D=D, I=I,
                         activation=activation, params=params, xs=xs, hs=hs, upstream=upstream, eta=eta)

    def gate_losses(self, D, I, activation, params, xs, hs, upstream, directions, offsets) -> np.ndarray:
        return self._run(LossesAlong, "gate_losses", "running Gate.forward", D=D, I=I, activation=activation,
                         params=params, xs=xs, hs=hs, upstream=upstream, directions=directions, offsets=offsets).losses

    def lstm_run(self, D, I, K, params, xs, ys, eta) -> LSTMRun:
        return self._run(LSTMRun, "network_scenario", "running your LSTM's forward, backward and update",
                         class_name="LSTM", D=D, I=I, K=K, params=params, xs=xs, ys=ys, eta=eta)

    def lstm_losses(self, D, I, K, params, x, y, directions, offsets) -> np.ndarray:
        return self._run(LossesAlong, "lstm_losses", "running LSTM.forward", D=D, I=I, K=K, params=params, x=x, y=y,
                         directions=directions, offsets=offsets).losses

    def rtrl_run(self, D, I, K, params, xs, ys, eta) -> RTRLRun:
        return self._run(RTRLRun, "network_scenario", "running your LSTM_RTRL step by step", class_name="LSTM_RTRL",
                         D=D, I=I, K=K, params=params, xs=xs, ys=ys, eta=eta)

    def rtrl_memory(self, D, sizes, T) -> np.ndarray:
        return self._run(Memory, "rtrl_memory", "measuring your LSTM_RTRL's memory", D=D, sizes=sizes, T=T).held

    def data_samples(self, T, n, seed) -> DataSample:
        return self._run(DataSample, "data_samples", "drawing from your generate_data", T=T, n=n, seed=seed)

    def train(self, class_name, D, I, params, xs, ys, batch, eta, test_xs, test_ys) -> np.ndarray:
        return self._run(Trained, "train", "training your network", timeout=600, class_name=class_name, D=D, I=I,
                         params=params, xs=xs, ys=ys, batch=batch, eta=eta, test_xs=test_xs, test_ys=test_ys).test_losses


def adapter_failure(error: StudentCodeError) -> bool:
    """The adapter's own 'cannot map your class' error, as opposed to the student's code raising."""
    return error.ename == "AdapterError"
