"""Stage 5: run every registered check against the student's kernel, charge the breaches of the template once each,
and total the points."""

import time
from dataclasses import dataclass

import numpy as np
from hypothesis.errors import Flaky

from reference.assignment import exercise_of

from . import errors
from .checks import CHECKS, Check, Failed
from .checks.registry import BREACHES, Unrecoverable
from .kernel.calls import GLOBAL_SIZES
from .student import EPSILON, adapter_failure


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
class Deduction:
    """A breach of the template, charged once in the exercise whose code commits it."""

    kind: str  # as in checks.registry.BREACHES
    exercise: int
    points: float
    message: str


@dataclass(frozen=True)
class Context:
    """What a check may use: the student's classes, driven in their kernel through the adapter."""

    student: object


def size_globals(globals_read):
    """{class: (its methods that read size globals, the names)}: from describe's {method: "T, I"}."""
    sizes = {name for names in GLOBAL_SIZES.values() for name in names}
    by_class = {}
    for method, names in globals_read.items():
        read = [n for n in names.split(", ") if n in sizes]
        if read:
            methods, seen = by_class.get(method.split(".")[0], ((), ()))
            by_class[method.split(".")[0]] = (methods + (method,), seen + tuple(n for n in read if n not in seen))
    return by_class


def deductions(breaches, globals_read) -> list[Deduction]:
    """What the breaches the scenarios met ("returns:LSTM.forward") and the size globals the methods read cost, as
    the rubric (checks.registry.BREACHES) says; each once."""
    charged = []
    for noted in sorted(breaches):
        kind, _, where = noted.partition(":")
        if kind not in BREACHES:  # never noted by the grader's own code: written by the notebook
            continue
        breach = BREACHES[kind]
        charged.append(
            Deduction(kind, exercise_of(where), breach.points, breach.sentence.format(where=where, names=""))
        )
    for methods, names in size_globals(globals_read).values():
        breach = BREACHES["globals"]
        charged.append(
            Deduction(
                "globals",
                exercise_of(methods[0]),
                breach.points,
                breach.sentence.format(where=", ".join(methods), names=", ".join(names)),
            )
        )
    return charged


def coarse_arithmetic(student):
    """What a failure owes to arithmetic coarser than float32, which the checks judge to float32's precision."""
    if student.coarsest <= EPSILON[np.float32]:
        return ""
    return (
        f" Your code computes in a float coarser than float32 (machine epsilon {student.coarsest:.1g}, float16?), "
        f"too coarse to tell its round-off from a bug: compute in float64."
    )


def run_check(check: Check, ctx: Context, described) -> CheckResult:
    start = time.perf_counter()

    def result(passed, message):
        return CheckResult(
            check.id,
            check.exercise,
            check.points if passed else 0.0,
            check.points,
            passed,
            message,
            round(time.perf_counter() - start, 3),
        )

    if not described.defined.get(check.needs):
        return result(False, f"Your notebook defines no `{check.needs}` after running, so this was not checked.")
    try:
        try:
            return result(True, check.run(ctx) or "passed")
        except Unrecoverable as wrapped:
            raise wrapped.error from None
    except Failed as failure:
        return result(False, failure.sentence() + coarse_arithmetic(ctx.student))
    except errors.StudentCodeError as error:
        if adapter_failure(error):
            return result(False, f"The grader could not use your `{check.needs}`: {error.evalue}")
        return result(False, error.sentence())
    except errors.GradingError as error:
        return result(False, error.sentence())
    except Flaky:
        return result(
            False,
            "Your code gave different results when called twice with the same inputs; make it "
            "deterministic (no random numbers or state kept between calls outside the interface).",
        )
    except Exception as error:  # the grader's own failure: said as such, never blamed on the student
        return result(
            False,
            f"The grader itself failed on this check ({type(error).__name__}: {str(error)[:200]}); "
            f"this is not a verdict on your code: tell your instructor.",
        )


def run_checks(student, described, checks=CHECKS) -> list[CheckResult]:
    """Every check, in the order of the exercises; `described` is what student.describe() found."""
    ctx = Context(student)
    return [run_check(check, ctx, described) for check in sorted(checks, key=lambda c: c.exercise)]


def totals(results, charged=()):
    """Score and maximum per exercise, after the deductions (an exercise's score does not go below zero)."""
    per_exercise = {}
    for r in results:
        score, maximum = per_exercise.get(r.exercise, (0.0, 0.0))
        per_exercise[r.exercise] = (score + r.points, maximum + r.max_points)
    for d in charged:
        score, maximum = per_exercise.get(d.exercise, (0.0, 0.0))
        per_exercise[d.exercise] = (max(0.0, score - d.points), maximum)
    return per_exercise
