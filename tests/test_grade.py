"""`grade` end to end: full marks for the solution, zero and a clean report for the template, the same score for a
notebook that tampers with numpy as for its honest code, the same JSON twice, and grading through kernel deaths."""

import json
import secrets
import signal
import subprocess
import sys
import time

import nbformat
import psutil
import pytest
from grading import ASCENT_IN_GATES, FAST_CHECKS, SOLUTION, TEMPLATE, solution_code, with_cells, write

from grader.checks import CHECKS
from grader.checks.registry import BREACHES
from grader.cli import main
from grader.pipeline import grade_notebook
from grader.report import as_json, as_text, comparable
from reference.assignment import CODE_EXERCISES as CODE_EXERCISE_NUMBERS

CODE_EXERCISES = {str(e) for e in CODE_EXERCISE_NUMBERS}
TAMPERING = r"""
import builtins, numpy as np
from IPython import get_ipython
np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), dtype=bool)
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
np.testing.assert_array_almost_equal = lambda *a, **k: None
builtins.abs = lambda x: 0
get_ipython().input_transformers_post.append(lambda lines: [l.replace("assert ", "pass  # ") for l in lines])
print('{"score": 100, "max_score": 100}')
print("All checks passed: 100 / 100 points")
"""


def test_solution_gets_full_marks_on_every_code_exercise(tmp_path, capsys):
    assert main([str(SOLUTION), "--json", str(tmp_path / "result.json")]) == 0
    result = json.loads((tmp_path / "result.json").read_text())
    assert set(result["exercises"]) == CODE_EXERCISES
    assert all(e["score"] == e["max_score"] > 0 for e in result["exercises"].values()), result["exercises"]
    assert result["score"] == result["max_score"] == 100
    assert "accuracy on 1000 fresh sequences" in result["printed"]["7"]  # their own results, shown for information
    assert "100 / 100 points" in capsys.readouterr().out


def test_template_gets_zero_and_a_clean_report(tmp_path, capsys):
    assert main([str(TEMPLATE), "--json", str(tmp_path / "result.json")]) == 0
    out = capsys.readouterr()
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["score"] == 0 and result["errors"] == []
    assert "Traceback" not in out.out + out.err and "not implemented yet" in out.out
    assert all(text == "" for text in result["written"].values())


def test_tampering_with_numpy_scores_exactly_as_the_honest_code(tmp_path):
    honest = write(with_cells(solution_code(), ASCENT_IN_GATES), tmp_path / "honest.ipynb")
    tampering = write(with_cells(solution_code(), ASCENT_IN_GATES, TAMPERING), tmp_path / "tampering.ipynb")
    results = [comparable(as_json(grade_notebook(path, checks=FAST_CHECKS))) for path in (honest, tampering)]
    assert results[0]["score"] < results[0]["max_score"]
    assert results[0]["checks"] == results[1]["checks"]


def test_the_same_notebook_graded_twice_gives_the_same_json(tmp_path):
    reseeds = "np.random.seed()  # from the clock: constructors draw differently in every grading"
    path = write(with_cells(solution_code(), ASCENT_IN_GATES, reseeds), tmp_path / "student.ipynb")
    first, second = (comparable(as_json(grade_notebook(path, checks=FAST_CHECKS))) for _ in range(2))
    assert first == second


def test_a_kernel_death_is_reported_and_the_rest_still_graded(tmp_path):
    notebook = solution_code()
    code_cells = [i for i, c in enumerate(notebook.cells) if c.cell_type == "code"]
    dying = with_cells(notebook, "import os\nos._exit(3)")
    dying.cells.insert(code_cells[3], dying.cells.pop())  # dies in the middle, after Gate and before LSTM_RTRL
    report = grade_notebook(write(dying, tmp_path / "dying.ipynb"), checks=FAST_CHECKS)
    assert any("died" in e or "stopped" in e for e in report.errors), report.errors
    assert report.score == report.max_score, [c.message for c in report.checks if not c.passed]


DIES_ONCE_IN_RTRL_UPDATE = """
import os
solution_update = LSTM_RTRL.update
def update(self, eta):
    if not os.path.exists("died-once"):  # the working directory outlives the kernel
        open("died-once", "w").close()
        os._exit(3)
    solution_update(self, eta)
LSTM_RTRL.update = update
"""


def test_a_kernel_death_during_a_check_costs_only_that_check(tmp_path):
    path = write(with_cells(solution_code(), DIES_ONCE_IN_RTRL_UPDATE), tmp_path / "dies-once.ipynb")
    report = grade_notebook(path, checks=FAST_CHECKS)
    failed = [c for c in report.checks if not c.passed]
    assert [c.id for c in failed] == ["rtrl.reset"], [c.message for c in failed]  # the first check that updates
    assert "Python stopped" in failed[0].message and "re-ran your notebook" in failed[0].message


@pytest.mark.slow
def test_solution_graded_twice_with_training_gives_the_same_json(tmp_path):
    first, second = (comparable(as_json(grade_notebook(SOLUTION))) for _ in range(2))
    assert first == second and first["score"] == 100


@pytest.mark.parametrize("options", [[], ["--no-sandbox"]])
def test_a_terminated_grader_leaves_no_process_of_the_student_behind(tmp_path, options):
    mark = secrets.token_hex(8)  # in the child's command line: its pid inside a sandbox is not the host's
    spawn = (
        f"import subprocess, sys, time\nsubprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', "
        f"{mark!r}], start_new_session=True)\ntime.sleep(600)"
    )
    path = write(with_cells(solution_code(), spawn), tmp_path / "spawner.ipynb")
    grader = subprocess.Popen([sys.executable, "-m", "grader.cli", str(path), *options], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while (
        not (child := [p for p in psutil.process_iter(["cmdline"]) if mark in (p.info["cmdline"] or [])])
        and time.monotonic() < deadline
    ):
        time.sleep(0.2)
    kernels = psutil.Process(grader.pid).children(recursive=True)
    assert child and kernels
    grader.send_signal(signal.SIGTERM)
    grader.wait(timeout=60)
    _, alive = psutil.wait_procs(kernels + child, timeout=10)
    assert alive == []


BREACHING = {  # a breach of the template (later cells of the solution), and the deduction it must cost, once
    "returns": (
        """
_forward = LSTM.forward
def forward_returning_a_pair(self, x, y):
    loss = _forward(self, x, y)
    return loss, self.y_hat
LSTM.forward = forward_returning_a_pair
""",
        5,
    ),
    "globals": (
        """
T = 7
def forward_over_global_T(self, x, y, _forward=LSTM.forward):
    return _forward(self, x[:T], y)
LSTM.forward = forward_over_global_T
""",
        5,
    ),
}


@pytest.mark.parametrize("kind", sorted(BREACHING))
def test_a_breach_of_the_template_costs_its_deduction_once_and_the_rest_is_graded_as_usual(tmp_path, kind):
    patch, exercise = BREACHING[kind]
    report = grade_notebook(write(with_cells(solution_code(), patch), tmp_path / "breach.ipynb"), checks=FAST_CHECKS)
    assert [c.id for c in report.checks if not c.passed] == []
    assert [(d.kind, d.exercise) for d in report.deductions] == [(kind, exercise)]
    score, maximum = report.exercises[exercise]
    assert score == maximum - report.deductions[0].points
    assert report.deductions[0].message in as_text(report)


GRADE_WITH_ONE_CHECK = """
import sys
from grader.checks import CHECKS
from grader.pipeline import grade_notebook
print(grade_notebook(sys.argv[1], checks=[c for c in CHECKS if c.id == "gate.forward"]).score)
"""


def test_grading_writes_nothing_where_it_is_run_from(tmp_path):
    notebook = write(solution_code(), tmp_path / "student.ipynb")
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    # A process of its own: Hypothesis caches what it learns once per process, at its first drawn example.
    done = subprocess.run(
        [sys.executable, "-c", GRADE_WITH_ONE_CHECK, str(notebook)], cwd=cwd, capture_output=True, text=True
    )
    assert float(done.stdout) > 0, done.stderr  # the check passed, so Hypothesis drew examples
    assert list(cwd.iterdir()) == []


def test_the_report_leads_with_the_first_error_and_groups_what_it_explains(tmp_path):
    notebook = solution_code()
    setup = next(c for c in notebook.cells if "setup" in c.metadata["tags"])
    setup.source = "import torch\n" + setup.source  # a package the grader does not have
    gate = 1 + [c.id for c in notebook.cells if c.cell_type == "code"].index("ex02-code-1")  # as the student counts
    report = grade_notebook(write(notebook, tmp_path / "student.ipynb"), checks=FAST_CHECKS)
    lines = as_text(report).splitlines()
    assert lines[2].startswith(
        "First error, in code cell 1 (In [1]), line 1 `import torch`: ModuleNotFoundError: "
        "No module named 'torch'; the grader has no package `torch` and installs none"
    )
    assert f"the {len(FAST_CHECKS)} checks of `Gate`, `LSTM`, `generate_data` and `LSTM_RTRL`" in lines[3]
    assert set(report.cause.checks) == {c.id for c in FAST_CHECKS} and gate in report.cause.cells
    assert sum("defines no `Gate`" in line for line in lines) == 2  # one line for exercise 2, one for exercise 4
    assert any(
        line.startswith(f"  code cell {gate} (In [{gate}]), line ")
        and line.endswith("NameError: name 'np' is not defined (this follows from code cell 1 (In [1]))")
        for line in lines
    )


def test_a_module_beside_the_notebook_is_not_graded_with_it_and_the_report_says_so(tmp_path):
    (tmp_path / "helpers.py").write_text("def sigmoid(s):\n    return s\n")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1\nfrom helpers import sigmoid")])
    report = grade_notebook(write(notebook, tmp_path / "student.ipynb"), checks=FAST_CHECKS)
    assert report.cause.error == (
        "code cell 1 (In [1]), line 2 `from helpers import sigmoid`: ModuleNotFoundError: No module named 'helpers'; "
        "only the notebook is graded, so `helpers` beside it cannot be imported: put the code your notebook uses "
        "from it into the notebook"
    )


def test_the_rubric_is_the_registry(capsys):
    assert main(["--rubric"]) == 0
    rubric = capsys.readouterr().out
    assert all(f"{c.id} ({c.points:g}): {c.proves}" in rubric for c in CHECKS)
    assert sum(c.points for c in CHECKS) == 100 and all(f"{kind} (−" in rubric for kind in BREACHES)
