"""Stage 6: the report a student or instructor reads, and the JSON result."""
import json

from reference.assignment import BY_NUMBER

from .locate import WrittenAnswer


def as_json(report) -> dict:
    return {
        "notebook": report.notebook, "score": report.score, "max_score": report.max_score,
        "exercises": {str(e): {"score": s, "max_score": m} for e, (s, m) in sorted(report.exercises.items())},
        "checks": [{"id": c.id, "exercise": c.exercise, "points": c.points, "max_points": c.max_points,
                    "passed": c.passed, "message": c.message, "seconds": c.seconds} for c in report.checks],
        "deductions": [{"kind": d.kind, "exercise": d.exercise, "points": d.points, "message": d.message}
                       for d in report.deductions],
        "errors": report.errors, "notes": report.notes,
        "written": {str(w.exercise): w.text for w in report.written},
        "printed": {str(e): text for e, text in report.printed.items()},
    }


def comparable(result):
    """What must be identical between two gradings of the same notebook: the JSON result without every check's
    "seconds" and without "printed" (the student's own cell output, which may print their own timings)."""
    if "checks" not in result:
        return result
    return {**{k: v for k, v in result.items() if k != "printed"},
            "checks": [{k: v for k, v in c.items() if k != "seconds"} for c in result["checks"]]}


def write_json(report, path):
    with open(path, "w") as f:
        json.dump(as_json(report), f, indent=2, ensure_ascii=False)


def written_excerpt(answer: WrittenAnswer) -> str:
    if not answer.text:
        return "(no answer written)"
    text = " ".join(answer.text.split())
    return text[:160] + ("…" if len(text) > 160 else "")


def as_text(report) -> str:
    lines = [f"{report.notebook}: {report.score:g} / {report.max_score:g} points", ""]
    for exercise, (score, maximum) in sorted(report.exercises.items()):
        lines.append(f"Exercise {exercise} ({BY_NUMBER[exercise].title}): {score:g} / {maximum:g}")
        for c in (c for c in report.checks if c.exercise == exercise):
            mark = "✓" if c.passed else "✗"
            lines.append(f"  {mark} {c.id} ({c.points:g}/{c.max_points:g}): {c.message}")
        lines += [f"  − {d.message}: −{d.points:g}" for d in report.deductions if d.exercise == exercise]
    lines += ["", "Written exercises (graded by hand, 0 automatic points; the reference answers are in "
                  "reference/answers.md):"]
    lines += [f"  Exercise {w.exercise}: {written_excerpt(w)}" for w in report.written]
    for exercise, text in report.printed.items():
        lines += ["", f"What your exercise {exercise} cells printed (for information, not graded):"]
        lines += [f"  {line}" for line in text.splitlines()]
    if report.errors:
        lines += ["", "While running your notebook:"] + [f"  {e}" for e in report.errors]
    if report.notes:
        lines += ["", "Notes:"] + [f"  {n}" for n in report.notes]
    return "\n".join(lines)
