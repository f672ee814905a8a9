"""Stage 6: the report a student or instructor reads, and the JSON result.

The report leads with the cause when a cell failed (grader/cause.py), and shows checks that failed for one reason
on one line, so that the cause is read before the two dozen checks it explains."""

import json
from dataclasses import asdict

from reference.assignment import BY_NUMBER, CODE_EXERCISES

from .checks import CHECKS
from .checks.registry import BREACHES
from .locate import WrittenAnswer


def as_json(report) -> dict:
    return {
        "notebook": report.notebook,
        "score": report.score,
        "max_score": report.max_score,
        "exercises": {str(e): {"score": s, "max_score": m} for e, (s, m) in sorted(report.exercises.items())},
        "checks": [
            {
                "id": c.id,
                "exercise": c.exercise,
                "points": c.points,
                "max_points": c.max_points,
                "passed": c.passed,
                "message": c.message,
                "seconds": c.seconds,
            }
            for c in report.checks
        ],
        "deductions": [
            {"kind": d.kind, "exercise": d.exercise, "points": d.points, "message": d.message}
            for d in report.deductions
        ],
        "errors": report.errors,
        "notes": report.notes,
        "cause": report.cause and asdict(report.cause),
        "written": {str(w.exercise): w.text for w in report.written},
        "printed": {str(e): text for e, text in report.printed.items()},
    }


def comparable(result):
    """What must be identical between two gradings of the same notebook: the JSON result without every check's
    "seconds" and without "printed" (the student's own cell output, which may print their own timings)."""
    if "checks" not in result:
        return result
    return {
        **{k: v for k, v in result.items() if k != "printed"},
        "checks": [{k: v for k, v in c.items() if k != "seconds"} for c in result["checks"]],
    }


def write_json(report, path):
    with open(path, "w") as f:
        json.dump(as_json(report), f, indent=2, ensure_ascii=False)


def written_excerpt(answer: WrittenAnswer) -> str:
    if not answer.text:
        return "(no answer written)"
    text = " ".join(answer.text.split())
    return text[:160] + ("…" if len(text) > 160 else "")


def listed(items) -> str:
    items = [str(item) for item in items]
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def cause_lines(cause) -> list[str]:
    """The first error, and the failures it explains."""
    lines = [f"First error, in {cause.error.rstrip('.')}."]
    follows = (
        [f"the error{'s' * (len(cause.cells) > 1)} of code cell{'s' * (len(cause.cells) > 1)} {listed(cause.cells)}"]
        if cause.cells
        else []
    )
    if cause.checks:
        follows.append(
            f"the {len(cause.checks)} checks of {listed(f'`{n}`' for n in cause.names)}, which your "
            f"notebook does not define after running"
        )
    if follows:
        lines.append(f"  It explains {' and '.join(follows)}: fix it first.")
    return lines + [""]


def check_lines(checks, explained) -> list[str]:
    """One line per check, except that failed checks with the same message share one."""
    groups = {}
    for c in checks:
        groups.setdefault(c.id if c.passed else c.message, []).append(c)
    lines = []
    for group in groups.values():
        mark = "✓" if group[0].passed else "✗"
        points, maximum = sum(c.points for c in group), sum(c.max_points for c in group)
        follows = " This follows from the first error, above." if all(c.id in explained for c in group) else ""
        lines.append(f"  {mark} {', '.join(c.id for c in group)} ({points:g}/{maximum:g}): {group[0].message}{follows}")
    return lines


def as_text(report) -> str:
    lines = [f"{report.notebook}: {report.score:g} / {report.max_score:g} points", ""]
    lines += cause_lines(report.cause) if report.cause else []
    explained = set(report.cause.checks) if report.cause else set()
    for exercise, (score, maximum) in sorted(report.exercises.items()):
        lines.append(f"Exercise {exercise} ({BY_NUMBER[exercise].title}): {score:g} / {maximum:g}")
        lines += check_lines([c for c in report.checks if c.exercise == exercise], explained)
        lines += [f"  − {d.message}: −{d.points:g}" for d in report.deductions if d.exercise == exercise]
    lines += [
        "",
        "Written exercises (graded by hand, 0 automatic points; the reference answers are in reference/answers.md):",
    ]
    lines += [f"  Exercise {w.exercise}: {written_excerpt(w)}" for w in report.written]
    for exercise, text in report.printed.items():
        lines += ["", f"What your exercise {exercise} cells printed (for information, not graded):"]
        lines += [f"  {line}" for line in text.splitlines()]
    others = [e for e in report.errors if not report.cause or e != report.cause.error]
    if others:
        lines += ["", "While running your notebook:"] + [f"  {e}" for e in others]
    if report.notes:
        lines += ["", "Notes:"] + [f"  {n}" for n in report.notes]
    return "\n".join(lines)


def rubric() -> str:
    """The rubric as the grader applies it: every exercise's checks with their points and what passing shows, and
    what each breach of the template costs. The registry is its only source."""
    lines = []
    for exercise in CODE_EXERCISES:
        checks = [c for c in CHECKS if c.exercise == exercise]
        lines.append(f"Exercise {exercise} ({BY_NUMBER[exercise].title}): {sum(c.points for c in checks):g} points")
        lines += [f"  {c.id} ({c.points:g}): {c.proves}" for c in checks]
    lines += [
        "",
        "Breaches of the template (the code is graded as usual, and each costs once, in the exercise that "
        "defines the code at fault):",
    ]
    lines += [
        f"  {kind} (−{breach.points:g}): {breach.sentence.format(where='…', names='…')}"
        for kind, breach in BREACHES.items()
    ]
    return "\n".join(lines)
