"""Every sample submission in submissions/ graded end to end, against its expected result (NAME.expected.json).

Slow: the whole corpus is graded (the notebook's own cells, then the grader's checks and training runs, per
notebook). Run with `python -m pytest -m slow tests/test_submissions.py`; `-k NAME` grades only the named
submissions. Each test grades its own notebook, so the xdist workers of the default options grade two at a time.
"""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "submissions"))

import build  # noqa: E402
import expectations  # noqa: E402

from reference.assignment import CODE_EXERCISES  # noqa: E402

NAMES = expectations.names()


def test_corpus_is_built_from_its_data():
    """The checked-in notebooks and expectations are exactly what submissions/build.py writes."""
    assert build.main(["--check"]) == 0, "run python submissions/build.py"


def test_every_submission_has_a_consistent_expectation():
    assert len(NAMES) >= 35
    for name in NAMES:
        expect = expectations.expected(name)
        assert expect["description"] and expect["kind"] in ("correct", "bug", "style", "incomplete"), name
        assert not set(expect["full_marks"]) & set(expect["lose"]), name
        assert set(expect["diagnosis"]) <= set(expect["failed_checks"]), name
        if expect["kind"] in ("correct", "style"):
            assert expect["failed_checks"] == [] and set(expect["lose"]) == set(expect["deductions"].values()), name
            assert expect["kind"] == "style" or expect["full_marks"] == list(CODE_EXERCISES), name
        else:
            assert expect["lose"] and expect["failed_checks"], name
        if expect["kind"] == "bug":
            assert expect["diagnosis"], f"{name}: a bug's expectation names the diagnosis the report must give"


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_submission_grade_matches_its_expectation(name):
    expect = expectations.expected(name)
    result = expectations.grade(name)
    problems = expectations.mismatches(expect, result)
    summary = ", ".join(f"ex{e} {v['score']:g}/{v['max_score']:g}" for e, v in result.get("exercises", {}).items())
    assert not problems, (
        f"{name}.ipynb ({expect['description']}) was graded {result.get('score')}/"
        f"{result.get('max_score')} [{summary}], not as expected:\n  " + "\n  ".join(problems)
    )
