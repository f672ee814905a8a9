"""Stage 5: run every registered check against the student's kernel and total the points."""
import time
from dataclasses import dataclass

from . import errors
from .checks import CHECKS, Check, Failed
from .checks.registry import Unrecoverable
from .student import adapter_failure

NEEDED_NAMES = ("Gate", "LSTM", "LSTM_RTRL", "generate_data")


@dataclass(frozen=True)
class CheckResult:
    id: str
    exercise: int
    points: float
    max_points: float
    passed: bool
    message: str
    seconds: float  # the check's own time; the only field that may differ between two gradings


@dataclass(frozen=True)
class Context:
    """What a check may use: the student's classes, driven in their kernel through the adapter."""
    student: object


def run_check(check: Check, ctx: Context, defined: dict) -> CheckResult:
    start = time.perf_counter()

    def result(passed, message):
        return CheckResult(check.id, check.exercise, check.points if passed else 0.0, check.points, passed, message,
                           round(time.perf_counter() - start, 3))

    if not defined.get(check.needs):
        return result(False, f"Your notebook defines no `{check.needs}` after running, so this was not checked.")
    try:
        try:
            return result(True, check.run(ctx) or "passed")
        except Unrecoverable as wrapped:
            raise wrapped.error from None
    except Failed as failure:
        return result(False, failure.sentence())
    except errors.StudentCodeError as error:
        if adapter_failure(error):
            return result(False, f"The grader could not use your `{check.needs}`: {error.evalue}")
        return result(False, error.sentence())
    except errors.GradingError as error:
        return result(False, error.sentence())
    except Exception as error:  # Hypothesis's flakiness reports and other surprises stay a verdict, not a crash
        return result(False, f"This check could not be completed ({type(error).__name__}: {str(error)[:200]}); "
                             f"is your code deterministic?")


def run_checks(student, defined, checks=CHECKS) -> list[CheckResult]:
    ctx = Context(student)
    return [run_check(check, ctx, defined) for check in sorted(checks, key=lambda c: c.exercise)]


def totals(results):
    """Score and maximum per exercise, and overall."""
    per_exercise = {}
    for r in results:
        score, maximum = per_exercise.get(r.exercise, (0.0, 0.0))
        per_exercise[r.exercise] = (score + r.points, maximum + r.max_points)
    return per_exercise
