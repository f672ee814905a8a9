"""Notebooks that attack the grader, graded as CI grades them (as root, in the sandbox): each attack fails, seen from
outside, and the notebook's honest part gets exactly the grade it gets without the attack.

The honest part is the solution with one bug (gradient ascent in Gate.update), so that a grade changed by an attack,
up or down, shows. The sandbox itself (uid, namespaces, limits, a grader that is not root) is tested piece by piece
in tests/test_sandbox.py and tests/test_sandbox_access.py.
"""

import os
import secrets
import socket
from pathlib import Path

import psutil
import pytest
from grading import ASCENT_IN_GATES, ROOT, solution_code, with_cells, write

from grader import sandbox
from grader.batch import grade_all, notebooks_in
from grader.checks import CHECKS
from grader.pipeline import grade_notebook
from grader.report import as_json, comparable

pytestmark = pytest.mark.skipif(
    not sandbox.protection().namespaces or os.geteuid() != 0,
    reason="the grading-level attacks are run as CI runs them: as root, with bubblewrap",
)

CHOSEN = [c for c in CHECKS if c.id in ("gate.forward", "gate.update", "lstm.loss", "rtrl.outputs")]
MARK = secrets.token_hex(6)  # in every path an attack writes and every process it leaves, to look for them after


def graded(tmp_path, *cells):
    (tmp_path / "course").mkdir(parents=True, exist_ok=True)
    notebook = write(with_cells(solution_code(), ASCENT_IN_GATES, *cells), tmp_path / "course" / "student.ipynb")
    return comparable(as_json(grade_notebook(notebook, checks=CHOSEN)))


@pytest.fixture(scope="module")
def honest(tmp_path_factory):
    result = graded(tmp_path_factory.mktemp("honest"))
    assert {c["id"]: c["passed"] for c in result["checks"]} == {
        "gate.forward": True,
        "gate.update": False,
        "lstm.loss": True,
        "rtrl.outputs": True,
    }
    return result


def same_grade(result, honest):
    keep = ("score", "exercises", "checks", "deductions")
    return {k: result[k] for k in keep} == {k: honest[k] for k in keep}


def write_attack(path):
    return f"open({str(path)!r}, 'w').write('written by the student')"


@pytest.mark.parametrize("where", ["home", "tmp", "course", "project"])
def test_writing_outside_the_working_folder_fails(tmp_path, honest, where):
    target = {"home": Path.home(), "tmp": Path("/tmp"), "course": tmp_path / "course", "project": ROOT / "reference"}[
        where
    ] / f"pwned-{MARK}.txt"
    result = graded(tmp_path, write_attack(target))
    assert not target.exists()
    assert any("Error" in e for e in result["errors"]), result["errors"]
    assert same_grade(result, honest)


@pytest.mark.parametrize(
    "attack",
    [
        "from reference import Gate, LSTM, LSTM_RTRL",
        "import grader",
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); from reference import Gate, LSTM, LSTM_RTRL",
        f"exec(open({str(ROOT / 'reference' / 'gate.py')!r}).read())",
    ],
)
def test_the_solution_and_the_grader_are_out_of_reach(tmp_path, honest, attack):
    result = graded(tmp_path, attack)
    assert any(
        e.split(": ", 1)[1].startswith(("ModuleNotFoundError", "FileNotFoundError", "PermissionError"))
        for e in result["errors"]
    ), result["errors"]
    assert same_grade(result, honest)


def test_no_network_not_even_the_graders_loopback(tmp_path, honest):
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(0.5)
        port = server.getsockname()[1]
        result = graded(
            tmp_path, f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2).send(b'x')"
        )
        with pytest.raises(TimeoutError):
            server.accept()
    assert any("ConnectionRefusedError" in e or "OSError" in e for e in result["errors"]), result["errors"]
    assert same_grade(result, honest)


def test_killing_the_parent_and_every_visible_process_leaves_the_grade_intact(tmp_path, honest):
    attack = (
        "import os, signal\n"
        "for pid in [os.getppid()] + [int(p) for p in os.listdir('/proc') if p.isdigit()]:\n"
        "    try:\n        os.kill(pid, signal.SIGKILL)\n    except OSError:\n        pass"
    )
    assert same_grade(graded(tmp_path, attack), honest)


def test_a_fork_flood_is_bounded_and_leaves_no_process_behind(tmp_path, honest):
    attack = (
        f"import os, subprocess\nchildren = 0\ntry:\n    while children < 10_000:\n"
        f"        subprocess.Popen(['sleep', '600', '{MARK}'], start_new_session=True)\n        children += 1\n"
        f"except OSError as error:\n    print('stopped after', children, type(error).__name__)"
    )
    result = graded(tmp_path, attack)
    assert same_grade(result, honest)
    assert not [p for p in psutil.process_iter(["cmdline"]) if MARK in (p.info["cmdline"] or [])]


@pytest.mark.slow
def test_a_notebook_cannot_read_another_of_the_same_batch(tmp_path):
    folder = tmp_path / "course"
    secret = f"secret-{MARK}"
    write(with_cells(solution_code(), f"# {secret}"), folder / "victim.ipynb")
    thief = f"print(open({str(folder / 'victim.ipynb')!r}).read())"
    write(with_cells(solution_code(), thief), folder / "thief.ipynb")
    lines = grade_all(notebooks_in([folder]), tmp_path / "grades", jobs=2, progress=lambda line: None)
    assert [line.status for line in lines] == ["graded", "graded"]
    report = (tmp_path / "grades" / "thief.txt").read_text()
    assert secret not in report and "FileNotFoundError" in report
