"""The one list every check is registered in: the rubric, the report and the tests all read it."""

import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Verbosity, example, given, settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.strategies import SearchStrategy

from ..errors import CallTimeout, KernelDied, StudentCodeError


class Failed(Exception):
    """A check's verdict against the student, with the sentence they read.

    `diagnosis` (a function returning a sentence) names the likely bug; it runs once, on the example Hypothesis
    shrank to, rather than on every example tried while shrinking.
    """

    def __init__(self, message, diagnosis=None):
        super().__init__(message)
        self.message, self.diagnosis = message, diagnosis

    def sentence(self):
        return self.message + (self.diagnosis() if self.diagnosis else "")


class Unrecoverable(BaseException):
    """Carries an error no other example can change (a timeout, a dead kernel, a class that cannot be built) out of
    Hypothesis at once: being no Exception, Hypothesis neither shrinks nor retries it."""

    def __init__(self, error):
        super().__init__(error)
        self.error = error


@dataclass(frozen=True)
class Check:
    id: str
    exercise: int
    points: float
    needs: str  # the notebook name the check calls: Gate, LSTM, LSTM_RTRL or generate_data
    proves: str  # what passing shows, for the rubric
    run: Callable = field(repr=False)  # run(ctx) -> message on pass; raises Failed


CHECKS: list[Check] = []


@dataclass(frozen=True)
class Breach:
    """A breach of what the template fixes, which the grader works around so that the rest is graded as usual, and
    charges once, in the exercise that defines the code at fault. `sentence` says what was done and what the
    template asks; `{where}` is the method or class, `{names}` what it read."""

    points: float
    sentence: str


BREACHES = {  # kind (as grader/kernel/calls.py notes it) -> what it costs
    "returns": Breach(2, "{where} returned a tuple; the template has it return one value (the loss, or ŷ(t))"),
    "columns": Breach(
        2, "{where} works only with column vectors such as (D, 1); the template passes vectors of shape (D,)"
    ),
    "container": Breach(1, "{where} keeps its gates in a dict or list; the template has them as attributes z, i, o"),
    "globals": Breach(
        2,
        "{where} read(s) the notebook global(s) {names} for sizes instead of their arguments or the "
        "object's attributes (the grader set them to its own sizes while checking)",
    ),
}


def check(id, exercise, points, needs, proves):
    def register(run):
        CHECKS.append(Check(id, exercise, points, needs, proves, run))
        return run

    return register


@dataclass(frozen=True)
class Examples:
    """What a check runs on: `first`, tried in order before anything is drawn (a failure there is reported as it is,
    with no shrinking, which costs dozens of calls into the kernel), then examples drawn from `drawn`."""

    first: list
    drawn: SearchStrategy


def for_all(examples, max_examples):
    """Run `body(ctx, example)` over the first examples, then Hypothesis-drawn ones; a failure on a drawn example
    reports the example it shrank to."""

    def decorate(body):
        def run(ctx):
            @settings(
                max_examples=max_examples,
                derandomize=True,
                database=None,
                deadline=None,
                verbosity=Verbosity.quiet,
                suppress_health_check=list(HealthCheck),
                report_multiple_bugs=False,
            )
            @given(examples.drawn)
            def each(problem):
                try:
                    body(ctx, problem)
                except (CallTimeout, KernelDied) as error:
                    raise Unrecoverable(error) from None
                except StudentCodeError as error:
                    if error.ename in ("AdapterError", "NotImplementedError"):
                        raise Unrecoverable(error) from None
                    raise

            for problem in reversed(examples.first):  # @example runs them in the order written, top first
                each = example(problem)(each)
            with scratch_storage():
                each()
            return f"held on {len(examples.first)} small and {max_examples} drawn examples"

        return run

    return decorate


@contextmanager
def scratch_storage():
    """Even without an example database, Hypothesis caches what it learns (constants in the source it sees, Unicode
    tables) in `.hypothesis/` of the current directory, wherever `grade` is run: give it a folder of its own that
    goes when the check ends."""
    with tempfile.TemporaryDirectory(prefix="grader-hypothesis-") as folder:
        set_hypothesis_home_dir(folder)
        try:
            yield
        finally:
            set_hypothesis_home_dir(None)
