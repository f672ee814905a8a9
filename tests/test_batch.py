"""`grade FOLDER`: each notebook graded in a process of its own, so one notebook's misdeeds cost only its own grade."""
import csv
import json

import nbformat
import psutil
from nbformat.v4 import new_code_cell

from grader import batch
from grader.cli import main
from grader.execute import Limits
from grader.pipeline import grade_notebook
from grader.report import as_json, comparable

from grading import TEMPLATE, write

KILLS_ITS_GRADER = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"


def template_with(*sources):
    notebook = nbformat.read(TEMPLATE, as_version=4)
    notebook.cells += [new_code_cell(source) for source in sources]
    return notebook


def batch_token_holders():
    holders = []
    for process in psutil.process_iter():
        try:
            if batch.BATCH_TOKEN_VARIABLE in process.environ():
                holders.append(process)
        except psutil.Error:
            pass
    return holders


def test_a_folder_is_graded_notebook_by_notebook_whatever_one_of_them_does(tmp_path, capsys):
    """Without the sandbox (in it, the killer cannot reach its grader: tests/test_attacks.py), one notebook kills the
    process grading it: only its own row says so."""
    course = tmp_path / "course"
    (course / "ann").mkdir(parents=True)
    write(template_with(), course / "ann" / "lstm.ipynb")
    write(template_with(KILLS_ITS_GRADER), course / "killer.ipynb")
    (course / "broken.ipynb").write_text("{ not json")
    out = tmp_path / "grades"

    assert main([str(course), "--out", str(out), "--jobs", "2", "--no-sandbox"]) == 0
    assert [str(name) for _, name in batch.notebooks_in([course / "ann", course / "killer.ipynb"])] == [
        "ann/lstm.ipynb", "killer.ipynb"]  # named below the folder they share

    rows = {row["notebook"]: row for row in csv.DictReader((out / "summary.csv").open())}
    assert {name: row["status"] for name, row in rows.items()} == {
        "ann/lstm.ipynb": "graded", "broken.ipynb": "unreadable", "killer.ipynb": "stopped"}
    assert "killed by signal 9" in rows["killer.ipynb"]["message"]
    assert "is not JSON" in rows["broken.ipynb"]["message"]
    alone = comparable(as_json(grade_notebook(course / "ann" / "lstm.ipynb", Limits(sandbox=False))))
    in_batch = comparable(json.loads((out / "ann" / "lstm.json").read_text()))
    assert in_batch == {**alone, "notebook": in_batch["notebook"]}  # the same grade alone as in a batch
    assert "Exercise 2" in (out / "ann" / "lstm.txt").read_text()
    assert "1 of 3 notebooks graded" in capsys.readouterr().out
    assert batch_token_holders() == []  # the killer's kernel, orphaned when its grader died, is gone too


def test_a_grading_past_its_time_bound_is_stopped_and_its_kernel_killed(tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "CHECKS_SECONDS", 0.0)  # the bound is the notebook's own limit: the checks pass it
    path = write(template_with("import time\ntime.sleep(5)"), tmp_path / "slow.ipynb")
    line = batch.grade_one(path, path.relative_to(tmp_path), tmp_path / "grades", Limits(notebook_timeout=6.0))
    assert line.status == "stopped" and "did not finish within 6 s" in line.message, line
    assert batch_token_holders() == []


def test_a_folder_without_notebooks_gets_one_sentence(tmp_path, capsys):
    assert main([str(tmp_path), "--out", str(tmp_path / "grades")]) == 2
    assert capsys.readouterr().err.strip() == f"No notebook (.ipynb file) was found in {tmp_path}."
