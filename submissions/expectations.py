"""The sample submissions, their expected results, and the comparison of a grade with its expectation.

Shared by tests/test_submissions.py and bench/grader_accuracy.py. `grade` runs in worker processes, so this module
imports nothing from the grader at import time beyond what `grade` itself needs.
"""

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def names():
    """Every submission that has both a notebook and an expected-result file, sorted."""
    return sorted(
        p.name[: -len(".expected.json")]
        for p in HERE.glob("*.expected.json")
        if (HERE / (p.name[: -len(".expected.json")] + ".ipynb")).exists()
    )


def notebook(name):
    return HERE / f"{name}.ipynb"


def expected(name):
    return json.loads((HERE / f"{name}.expected.json").read_text(encoding="utf-8"))


def grade(name):
    """The grader's JSON result for one submission (as `grade --json` writes it), or {"crash": ...} if grading
    itself raised. Runs in a worker process."""
    import traceback

    from grader.pipeline import grade_notebook
    from grader.report import as_json

    try:
        return as_json(grade_notebook(notebook(name)))
    except Exception:
        return {"crash": traceback.format_exc()}


def mismatches(expect, result):
    """Every way the result differs from the expectation, one line each (empty: as expected).

    Lines start with a category: "lost" (an exercise that must keep full marks lost points, or a check of an exercise
    charged only a deduction failed), "kept" (an exercise that must lose points kept full marks), "passed" (a check that
    must fail passed), "diagnosis" (a failed check's message lacks the expected words), "deduction" (a breach of the
    template that must be charged was not, or one was charged that must not be), "crash"."""
    if "crash" in result:
        return [f"crash: grading raised: {result['crash'].strip().splitlines()[-1]}"]
    exercises = result["exercises"]
    checks = {c["id"]: c for c in result["checks"]}
    out = []
    for e in expect["full_marks"]:
        got = exercises.get(str(e))
        if got is None or got["score"] < got["max_score"]:
            failed = [f"{c['id']} ({c['message']})" for c in result["checks"] if c["exercise"] == e and not c["passed"]]
            score = f"{got['score']:g}/{got['max_score']:g}" if got else "missing"
            out.append(f"lost: exercise {e} must keep full marks, got {score}; failed: {'; '.join(failed)}")
    for e in expect["lose"]:
        got = exercises.get(str(e))
        if got is not None and got["score"] >= got["max_score"]:
            out.append(f"kept: exercise {e} must lose points, got full marks {got['score']:g}/{got['max_score']:g}")
    for check_id in expect["failed_checks"]:
        check = checks.get(check_id)
        if check is None:
            out.append(f"passed: {check_id} must fail, but the grader has no such check")
        elif check["passed"]:
            out.append(f"passed: {check_id} must fail, but passed ({check['message']})")
    charged = {(d["kind"], d["exercise"]) for d in result.get("deductions", [])}
    expected_charges = {(kind, e) for kind, e in expect.get("deductions", {}).items()}
    for kind, e in sorted(expected_charges - charged):
        out.append(f"deduction: {kind} must be charged in exercise {e}, charged: {sorted(charged)}")
    for kind, e in sorted(charged - expected_charges):
        out.append(f"deduction: {kind} was charged in exercise {e} but must not be")
    for kind, e in sorted(expected_charges):
        failed = [f"{c['id']} ({c['message']})" for c in result["checks"] if c["exercise"] == e and not c["passed"]]
        if failed:
            out.append(f"lost: exercise {e} must lose only the {kind} deduction; failed: {'; '.join(failed)}")
    for check_id, words in expect["diagnosis"].items():
        check = checks.get(check_id)
        if check is not None and not check["passed"] and words.lower() not in check["message"].lower():
            out.append(f"diagnosis: {check_id} should say {words!r}, said: {check['message']}")
    return out
