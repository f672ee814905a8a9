"""Stage 4: the student's classes, driven inside their kernel, with their answers read into typed records.

Each method runs one scenario of grader/kernel/scenarios.py in the student's kernel (arguments and answers travel
through the codec, never pickle) and returns the record of that scenario. Nothing here trusts a number more than
the student's honest code would have produced it: the checks compare the records with the reference.
"""

from copy import deepcopy
from dataclasses import dataclass, fields

import numpy as np

from reference.assignment import CLASSES, NAMES

from .errors import NoResult, StudentCodeError
from .kernel import codec

EPSILON = {t: float(np.finfo(t).eps) for t in (np.float64, np.float32, np.float16)}
Arrays = dict[str, np.ndarray]  # by interface name: W, R, b for a Gate, W_z ... b_y for a network


@dataclass(frozen=True)
class Described:
    """Which exercise names the notebook defines after running, and the notebook globals each method reads
    ("LSTM.forward" -> "T, I")."""

    defined: dict[str, bool]
    globals_read: dict[str, str]


@dataclass(frozen=True)
class Accumulated:
    """What a run leaves in the gradient buffers and how update(η) then moves the parameters: from the given weights
    and a fresh zero_grad, and again from the same weights with zero_grad on the object that holds gradients."""

    grads: Arrays  # the buffers after the first run, where recognisable
    updated: Arrays  # the parameters after the first run and update(η)
    zeroed: dict[str, float]  # Σ|buffer| right after the second zero_grad, where recognisable
    rezeroed: Arrays  # the parameters after the second run and update(η): as `updated` if zero_grad works
    precision: float  # machine epsilon of the coarsest float the student's code answered in (float32: 1.2e-7), at
    # most float32's: coarser arithmetic (float16) would widen every tolerance past the size of real bugs


@dataclass(frozen=True)
class GateRun(Accumulated):
    """T forward calls of a Gate, then T backward calls in reverse."""

    a: np.ndarray  # (T, I): forward's outputs
    grad_x: np.ndarray  # (T, D): what backward returned, in forward's order
    grad_h: np.ndarray  # (T, I)


@dataclass(frozen=True)
class LSTMRun(Accumulated):
    """Forward and backward on every sequence."""

    losses: np.ndarray  # forward's loss per sequence


@dataclass(frozen=True)
class RTRLRun(Accumulated):
    """Every sequence from reset, with the target at its last step."""

    outputs: np.ndarray  # (steps of all sequences, K): ŷ(t) of every forward call


@dataclass(frozen=True)
class FreshParams:
    draws: list[Arrays]  # the parameters of newly constructed objects, one per seed
    new_object: Arrays | str  # the gradient buffers after forward and backward on the first, new object (or the error)
    after_zero_grad: Arrays | str  # the same on a copy of it after zero_grad


@dataclass(frozen=True)
class LossesAlong:
    losses: np.ndarray  # (directions, offsets): the student's own loss along each direction
    precision: float


@dataclass(frozen=True)
class Memory:
    held: np.ndarray  # numbers the object holds, per hidden size (rows) and sequence length (columns)


@dataclass(frozen=True)
class DataSample:
    X: np.ndarray  # (n, T, 1)
    Y: np.ndarray  # (n, 1)
    is_generator: bool
    shapes_ok: bool  # every pair had x (T, 1) and y (1,)
    calls: int  # how often generate_data(T) was called to get them
    X_again: np.ndarray  # (up to 5, T): the first inputs of one more call, made after the others


@dataclass(frozen=True)
class Trained:
    test_losses: np.ndarray  # after the grader's training protocol, per test sequence


NETWORK_RUNS = {  # the record a network scenario answers with, and what it is doing in words
    "LSTM": (LSTMRun, "running your LSTM's forward, backward and update"),
    "LSTM_RTRL": (RTRLRun, "running your LSTM_RTRL step by step"),
}


class Student:
    """The student's notebook as the checks see it: one method per scenario."""

    def __init__(self, session, call_timeout=60.0):
        self.session = session
        self.call_timeout = call_timeout
        self.breaches = set()  # "kind:where" of every breach of the template the scenarios met (calls.BREACHES)
        self.coarsest = EPSILON[np.float64]  # the coarsest precision the student's code answered in
        # Every scenario's answer by its call: every scenario is seeded and builds its objects anew, so the same
        # question (two checks' shared first problems) has the same answer, and is not run again.
        self.answers = {}

    def _run(self, record, scenario, what, timeout=None, **kwargs):
        code = (
            f"import {self.session.package} as grader\n"
            f"result = grader.scenarios.answer({scenario!r}, grader.channel.user_namespace(), "
            f"grader.codec.loads({codec.dumps(kwargs)!r}))"
        )
        if code not in self.answers:
            self.answers[code] = self.session.call(code, timeout=timeout or self.call_timeout, what=what)
        answer = deepcopy(self.answers[code])
        breaches, names = answer.pop("breaches", None), {f.name for f in fields(record)}
        precision = answer.pop("precision", None)
        if not isinstance(breaches, list) or not isinstance(precision, float) or set(answer) != names - {"precision"}:
            raise NoResult(what)
        if "precision" in names:
            self.coarsest = max(self.coarsest, precision)
            answer["precision"] = min(max(precision, EPSILON[np.float64]), EPSILON[np.float32])
        self.breaches.update(map(str, breaches))
        return record(**answer)

    def describe(self) -> Described:
        return self._run(Described, "describe", "looking up your classes", names=NAMES, classes=CLASSES)

    def fresh_params(self, class_name, D, I, count=1, K=1) -> FreshParams:
        sizes = dict(D=D, I=I, K=K, count=count)
        return self._run(FreshParams, "fresh_params", "constructing your class", class_name=class_name, **sizes)

    def gate_run(self, D, I, activation, params, xs, hs, upstream, eta, beside=False) -> GateRun:
        """T forward and backward calls of a Gate (with `beside`, in turn with a second one), update, report."""
        problem = dict(D=D, I=I, activation=activation, params=params, xs=xs, hs=hs, upstream=upstream)
        problem |= dict(beside=beside)
        return self._run(
            GateRun, "gate_scenario", "running your Gate's forward, backward and update", eta=eta, **problem
        )

    def gate_losses(self, D, I, activation, params, xs, hs, upstream, directions, offsets) -> LossesAlong:
        problem = dict(D=D, I=I, activation=activation, params=params, xs=xs, hs=hs, upstream=upstream)
        return self._run(
            LossesAlong, "gate_losses", "running Gate.forward", directions=directions, offsets=offsets, **problem
        )

    def network_run(
        self, class_name, D, I, K, params, xs, ys, eta, zero_between=False, learning=None, reset=False
    ) -> LSTMRun | RTRLRun:
        """Construct the LSTM or LSTM_RTRL with these parameters, run it over the sequences (forward only where
        `learning` says False; with `reset`, LSTM_RTRL's reset() before update), update, report."""
        record, what = NETWORK_RUNS[class_name]
        problem = dict(D=D, I=I, K=K, params=params, xs=xs, ys=ys, eta=eta, zero_between=zero_between)
        problem |= dict(learning=learning, reset=reset)
        return self._run(record, "network_scenario", what, class_name=class_name, **problem)

    def lstm_losses(self, D, I, K, params, x, y, directions, offsets) -> LossesAlong:
        problem = dict(D=D, I=I, K=K, params=params, x=x, y=y)
        return self._run(
            LossesAlong, "lstm_losses", "running LSTM.forward", directions=directions, offsets=offsets, **problem
        )

    def rtrl_memory(self, D, sizes, lengths) -> np.ndarray:
        return self._run(
            Memory, "rtrl_memory", "measuring your LSTM_RTRL's memory", D=D, sizes=sizes, lengths=lengths
        ).held

    def data_samples(self, T, n, seed) -> DataSample:
        return self._run(DataSample, "data_samples", "drawing from your generate_data", T=T, n=n, seed=seed)

    def train(self, class_name, D, I, params, xs, ys, batch, eta, test_xs, test_ys) -> np.ndarray:
        return self._run(
            Trained,
            "train",
            "training your network",
            timeout=600,
            class_name=class_name,
            D=D,
            I=I,
            params=params,
            xs=xs,
            ys=ys,
            batch=batch,
            eta=eta,
            test_xs=test_xs,
            test_ys=test_ys,
        ).test_losses


def adapter_failure(error: StudentCodeError) -> bool:
    """The adapter's own 'cannot map your class' error, as opposed to the student's code raising."""
    return error.ename == "AdapterError"
