"""The one list every check is registered in: the rubric, the report and the tests all read it."""
from dataclasses import dataclass, field
from typing import Callable

from hypothesis import HealthCheck, Verbosity, given, settings

from ..errors import CallTimeout, KernelDied


class Failed(Exception):
    """A check's verdict against the student, with the sentence they read."""


@dataclass(frozen=True)
class Check:
    id: str
    exercise: int
    points: float
    needs: str  # the notebook name the check calls: Gate, LSTM, LSTM_RTRL or generate_data
    proves: str  # what passing shows, for the rubric
    run: Callable = field(repr=False)  # run(ctx) -> message on pass; raises Failed


CHECKS: list[Check] = []


def check(id, exercise, points, needs, proves):
    def register(run):
        CHECKS.append(Check(id, exercise, points, needs, proves, run))
        return run
    return register


def for_all(strategy, max_examples):
    """Run `body(ctx, example)` over Hypothesis-drawn examples; a failure reports the example it shrank to."""
    def decorate(body):
        def run(ctx):
            @settings(max_examples=max_examples, derandomize=True, database=None, deadline=None,
                      verbosity=Verbosity.quiet, suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
            @given(strategy)
            def examples(example):
                if ctx.fatal is not None:  # a timeout or dead kernel: fail every further example at once, so that
                    raise ctx.fatal        # shrinking does not wait out the timeout again and again
                try:
                    body(ctx, example)
                except (CallTimeout, KernelDied) as error:
                    ctx.fatal = error
                    raise
            examples()
            return f"held on {max_examples} drawn examples"
        return run
    return decorate
