"""Every sample submission in submissions/ graded end to end, against its expected result (NAME.expected.json).

Slow (the whole corpus is graded: a few seconds of the notebook's own cells plus the grader's checks and training
runs, per notebook). Run with `python -m pytest -m slow tests/test_submissions.py`; `-k NAME` grades only the named
submissions. The notebooks are graded in worker processes, two at a time: without pytest-xdist by a pool of two in
this process; under xdist, each xdist worker claims notebooks one at a time through lock files in a directory the
workers share (so no notebook is graded twice, and the workers together run about two gradings at once).
"""
import json
import os
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "submissions"))  # also reaches the spawned workers, which inherit sys.path

import expectations  # noqa: E402

pytestmark = pytest.mark.slow
NAMES = expectations.names()
WORKERS = 2
WAIT_SECONDS = 3 * 3600  # a grade that never arrives fails the test instead of hanging it


def selected_names(session):
    """The submissions whose tests this session runs (all of them, unless -k or node ids select fewer)."""
    chosen = {item.callspec.params["name"] for item in session.items
              if item.originalname == "test_submission_grade_matches_its_expectation"}
    return [n for n in NAMES if n in chosen]


class LocalGrades:
    """No xdist: a pool of WORKERS processes grades every selected submission."""

    def __init__(self, names):
        self.pool = ProcessPoolExecutor(max_workers=WORKERS, mp_context=get_context("spawn"))
        self.futures = {name: self.pool.submit(expectations.grade, name) for name in names}

    def result(self, name):
        return self.futures[name].result(timeout=WAIT_SECONDS)

    def close(self):
        self.pool.shutdown(cancel_futures=True)


class SharedGrades:
    """Under xdist: the workers share a directory; a worker claims a submission by creating NAME.lock exclusively,
    grades it in a child process and writes NAME.json. Any worker's test waits for the file it needs."""

    def __init__(self, names, directory, workers):
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.pool = ProcessPoolExecutor(max_workers=max(1, WORKERS // workers), mp_context=get_context("spawn"))
        self.stop = threading.Event()
        self.claimer = threading.Thread(target=self.claim_all, args=(names,), daemon=True)
        self.claimer.start()

    def claim(self, name):
        try:
            os.close(os.open(self.directory / f"{name}.lock", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            return True
        except FileExistsError:
            return False

    def claim_all(self, names):
        for name in names:
            if self.stop.is_set():
                return
            if self.claim(name):
                result = self.pool.submit(expectations.grade, name).result()
                partial = self.directory / f"{name}.json.partial"
                partial.write_text(json.dumps(result))
                partial.rename(self.directory / f"{name}.json")

    def result(self, name):
        path = self.directory / f"{name}.json"
        deadline = time.monotonic() + WAIT_SECONDS
        while not path.exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"no grade for {name} after {WAIT_SECONDS} s")
            time.sleep(1.0)
        return json.loads(path.read_text())

    def close(self):
        self.stop.set()
        self.claimer.join()
        self.pool.shutdown()


@pytest.fixture(scope="session")
def grades(request, tmp_path_factory):
    names = selected_names(request.session)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        source = LocalGrades(names)
    else:
        run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "run")
        directory = tmp_path_factory.getbasetemp().parent / f"submission-grades-{run}"
        source = SharedGrades(names, directory, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    yield source
    source.close()


def test_corpus_is_generated_from_make_submissions():
    """The checked-in notebooks and expectations are exactly what submissions/make_submissions.py writes."""
    sys.path.insert(0, str(ROOT / "submissions"))
    import make_submissions

    assert make_submissions.main(["--check"]) == 0, "run python submissions/make_submissions.py"


def test_every_submission_has_a_consistent_expectation():
    assert len(NAMES) >= 35
    for name in NAMES:
        expect = expectations.expected(name)
        assert expect["description"] and expect["kind"] in ("correct", "bug", "incomplete"), name
        assert not set(expect["full_marks"]) & set(expect["lose"]), name
        assert set(expect["diagnosis"]) <= set(expect["failed_checks"]), name
        if expect["kind"] == "correct":
            assert expect["lose"] == [] and expect["failed_checks"] == [], name
            assert expect["full_marks"] == [2, 4, 5, 6, 7, 9, 10, 11], name
        else:
            assert expect["lose"] and expect["failed_checks"], name


@pytest.mark.parametrize("name", NAMES)
def test_submission_grade_matches_its_expectation(name, grades):
    expect = expectations.expected(name)
    result = grades.result(name)
    problems = expectations.mismatches(expect, result)
    summary = ", ".join(f"ex{e} {v['score']:g}/{v['max_score']:g}" for e, v in result.get("exercises", {}).items())
    assert not problems, (f"{name}.ipynb ({expect['description']}) was graded {result.get('score')}/"
                          f"{result.get('max_score')} [{summary}], not as expected:\n  " + "\n  ".join(problems))
