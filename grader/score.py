"""Stage 5: run every registered check against the student's kernel and total the points."""
import time
from dataclasses import dataclass

from reference.assignment import DEFINITIONS

from . import errors
from .checks import CHECKS, Check, Failed
from .checks.registry import Unrecoverable
from .student import adapter_failure


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


def globals_note(needs, globals_read):
    """For a failed check: the notebook globals its class's methods read, a likely reason that the grader's sizes
    break code that works in the student's own notebook."""
    uses = (needs,) + DEFINITIONS[needs].uses
    methods = [(m, names) for m, names in globals_read.items() if m.split(".")[0] in uses]
    return "".join(f" Note: `{m}` reads the notebook global(s) {names}, whose values in your notebook need not fit "
                   f"the sizes the grader calls it with: use the arguments' sizes (x.shape[0]) or the object's own "
                   f"attributes." for m, names in methods)


def run_check(check: Check, ctx: Context, described) -> CheckResult:
    start = time.perf_counter()

    def result(passed, message):
        if not passed:
            message += globals_note(check.needs, described.globals_read)
        return CheckResult(check.id, check.exercise, check.points if passed else 0.0, check.points, passed, message,
                           round(time.perf_counter() - start, 3))

    if not described.defined.get(check.needs):
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


def run_checks(student, described, checks=CHECKS) -> list[CheckResult]:
    """Every check, in the order of the exercises; `described` is what student.describe() found."""
    ctx = Context(student)
    return [run_check(check, ctx, described) for check in sorted(checks, key=lambda c: c.exercise)]


def totals(results):
    """Score and maximum per exercise, and overall."""
    per_exercise = {}
    for r in results:
        score, maximum = per_exercise.get(r.exercise, (0.0, 0.0))
        per_exercise[r.exercise] = (score + r.points, maximum + r.max_points)
    return per_exercise
