"""Exercises 7 and 11: the grader trains the student's network with a fixed protocol and tests it.

The grader sets the initial weights and draws all data, so a correct implementation retraces the reference's
trajectory; the bar is what the reference reaches on every grader seed, less a margin.
"""

from dataclasses import dataclass

import numpy as np

from reference import batched
from reference.data import sample_batch

from .registry import Failed, check


@dataclass(frozen=True)
class Protocol:
    T: int = 5
    hidden: int = 8
    sequences: int = 1500
    batch: int = 4
    eta: float = 3.0
    test_sequences: int = 1000
    seeds: tuple = (0, 1)
    required_accuracy: float = 0.95  # the reference reaches at least 0.99 on every seed (tests/test_training.py)


PROTOCOL = Protocol()


def data(seed, protocol=PROTOCOL):
    rng = np.random.default_rng(seed)
    params = batched.init_params(rng, 1, protocol.hidden)
    X, Y = sample_batch(rng, protocol.sequences, protocol.T)
    test_X, test_Y = sample_batch(np.random.default_rng(seed + 1000), protocol.test_sequences, protocol.T)
    return params, X, Y, test_X, test_Y


def reference_accuracy(method, seed, protocol=PROTOCOL):
    """The same protocol on the batched reference: mean gradient of each minibatch, then gradient descent."""
    params, X, Y, test_X, test_Y = data(seed, protocol)
    gradient = batched.bptt_gradient if method == "bptt" else batched.rtrl_gradient
    for start in range(0, protocol.sequences, protocol.batch):
        _, grads = gradient(params, X[start : start + protocol.batch], Y[start : start + protocol.batch])
        for name in params:
            params[name] -= protocol.eta / protocol.batch * grads[name]
    return batched.accuracy(params, test_X, test_Y)


def student_accuracy(ctx, class_name, seed, protocol=PROTOCOL):
    params, X, Y, test_X, test_Y = data(seed, protocol)
    losses = ctx.student.train(
        class_name=class_name,
        D=1,
        I=protocol.hidden,
        params=params,
        xs=X,
        ys=Y,
        batch=protocol.batch,
        eta=protocol.eta,
        test_xs=test_X,
        test_ys=test_Y,
    )
    return float(np.mean(np.nan_to_num(losses, nan=np.inf) < np.log(2)))  # correct iff ŷ is on the right side of 0.5


def convergence(ctx, class_name, what):
    p = PROTOCOL
    accuracies = [student_accuracy(ctx, class_name, seed) for seed in p.seeds]
    summary = ", ".join(f"{a:.1%}" for a in accuracies)
    if min(accuracies) < p.required_accuracy:
        raise Failed(
            f"Trained by the grader ({what}, T = {p.T}, {p.hidden} hidden units, {p.sequences} sequences in "
            f"minibatches of {p.batch}, η = {p.eta}), your network classified {summary} of {p.test_sequences} "
            f"test sequences correctly; the reference reaches at least 99%, and {p.required_accuracy:.0%} "
            f"is required."
        )
    return f"learned the task at T = {p.T}: {summary} of test sequences correct"


@check("lstm.training", 7, 4, "LSTM", "the student's LSTM, trained by the grader's protocol, learns the task")
def lstm_training(ctx):
    return convergence(ctx, "LSTM", "BPTT")


@check("rtrl.training", 11, 5, "LSTM_RTRL", "the student's LSTM_RTRL, trained by the grader's protocol, learns it")
def rtrl_training(ctx):
    return convergence(ctx, "LSTM_RTRL", "RTRL")
