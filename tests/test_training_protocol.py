"""The grader's training bar is honest: the reference itself clears it, with margin, on every seed the grader uses."""

import pytest

from grader.checks.training import PROTOCOL, reference_accuracy


@pytest.mark.parametrize("method", ["bptt", "rtrl"])
@pytest.mark.parametrize("seed", PROTOCOL.seeds)
def test_the_reference_learns_the_grader_protocol_on_every_seed(method, seed):
    assert reference_accuracy(method, seed) >= 0.99 > PROTOCOL.required_accuracy
