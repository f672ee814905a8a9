"""`grade FOLDER`: each notebook graded in a process of its own, so one notebook's misdeeds cost only its own grade."""

import csv
import json
import subprocess

import nbformat
import psutil
from grading import TEMPLATE, write
from nbformat.v4 import new_code_cell

from grader import batch
from grader.cli import main
from grader.execute import Limits
from grader.pipeline import grade_notebook
from grader.report import as_json, comparable

KILLS_ITS_GRADER = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"


def template_with(*sources):
    notebook = nbformat.read(TEMPLATE, as_version=4)
    notebook.cells += [new_code_cell(source) for source in sources]
    return notebook


TEST_VARIABLE = "GRADER_TEST_NAME"  # set by a test, inherited by its gradings: tells them from another test's


def batch_token_holders(test_name):
    """The processes of a test's gradings still alive: not those of a test running beside it on another worker."""
    holders = []
    for process in psutil.process_iter():
        try:
            environment = process.environ()
            if batch.BATCH_TOKEN_VARIABLE in environment and environment.get(TEST_VARIABLE) == test_name:
                holders.append(process)
        except psutil.Error:
            pass
    return holders


def test_a_folder_is_graded_notebook_by_notebook_whatever_one_of_them_does(tmp_path, capsys, monkeypatch):
    """Without the sandbox (in it, the killer cannot reach its grader: tests/test_attacks.py), one notebook kills the
    process grading it: only its own row says so."""
    monkeypatch.setenv(TEST_VARIABLE, "folder")
    course = tmp_path / "course"
    (course / "ann").mkdir(parents=True)
    write(template_with(), course / "ann" / "lstm.ipynb")
    write(template_with(KILLS_ITS_GRADER), course / "killer.ipynb")
    (course / "broken.ipynb").write_text("{ not json")
    out = tmp_path / "grades"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    assert main([str(course), "--out", str(out), "--jobs", "2", "--no-sandbox"]) == 0
    assert list(elsewhere.iterdir()) == []  # nothing written but the output asked for
    assert [str(name) for _, name in batch.notebooks_in([course / "ann", course / "killer.ipynb"])] == [
        "ann/lstm.ipynb",
        "killer.ipynb",
    ]  # named below the folder they share

    rows = {row["notebook"]: row for row in csv.DictReader((out / "summary.csv").open())}
    assert {name: row["status"] for name, row in rows.items()} == {
        "ann/lstm.ipynb": "graded",
        "broken.ipynb": "unreadable",
        "killer.ipynb": "stopped",
    }
    assert "killed by signal 9" in rows["killer.ipynb"]["message"]
    assert "is not JSON" in rows["broken.ipynb"]["message"]
    assert (out / "broken.txt").read_text() == rows["broken.ipynb"]["message"] + "\n"  # the sentence, for the student
    alone = comparable(as_json(grade_notebook(course / "ann" / "lstm.ipynb", Limits(sandbox=False))))
    in_batch = comparable(json.loads((out / "ann" / "lstm.json").read_text()))
    assert in_batch == {**alone, "notebook": in_batch["notebook"]}  # the same grade alone as in a batch
    assert "Exercise 2" in (out / "ann" / "lstm.txt").read_text()
    assert "1 of 3 notebooks graded" in capsys.readouterr().out
    assert batch_token_holders("folder") == []  # the killer's kernel, orphaned when its grader died, is gone too


def test_a_grading_past_its_time_bound_is_stopped_and_its_kernel_killed(tmp_path, monkeypatch):
    monkeypatch.setenv(TEST_VARIABLE, "time bound")
    monkeypatch.setattr(batch, "CHECKS_SECONDS", 0.0)  # the bound is the notebook's own limit: the checks pass it
    path = write(template_with("import time\ntime.sleep(5)"), tmp_path / "slow.ipynb")
    line = batch.grade_one(path, path.relative_to(tmp_path), tmp_path / "grades", Limits(notebook_timeout=6.0))
    assert line.status == "stopped" and "did not finish within 6 s" in line.message, line
    assert batch_token_holders("time bound") == []


def test_a_folder_without_notebooks_gets_one_sentence(tmp_path, capsys):
    assert main([str(tmp_path), "--out", str(tmp_path / "grades")]) == 2
    assert capsys.readouterr().err.strip() == f"No notebook (.ipynb file) was found in {tmp_path}."


def test_only_students_notebooks_are_found_and_each_once(tmp_path):
    course = tmp_path / "course"
    for name in [
        "ann/lstm.ipynb",
        "bob.ipynb",
        "__MACOSX/._bob.ipynb",
        "ann/._lstm.ipynb",
        "ann/.ipynb_checkpoints/lstm-checkpoint.ipynb",
        "x.ipynb/inner.ipynb",
    ]:
        (course / name).parent.mkdir(parents=True, exist_ok=True)
        (course / name).write_text("{}")
    found = batch.notebooks_in([course, course / "bob.ipynb", course / "ann"])  # given twice, and inside a folder
    assert [str(name) for _, name in found] == ["ann/lstm.ipynb", "bob.ipynb", "x.ipynb/inner.ipynb"]


def exit_status(argv):
    try:
        return main(argv)
    except SystemExit as stop:  # argparse's own usage errors
        return stop.code


def test_command_line_mistakes_get_one_sentence_before_anything_is_graded(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    notebook = str(write(template_with(), tmp_path / "ann.ipynb"))
    (tmp_path / "notes.txt").write_text("")
    mistakes = {
        (notebook, "bob.ipynb"): "bob.ipynb: there is no such file or folder.",
        (notebook, "--json", "results/ann.json"): "--json results/ann.json: there is no folder results; create it",
        (notebook, "--json", "."): "--json .: that is a folder",
        (notebook, "--json", "ann.ipynb"): "--json ann.ipynb: that is the notebook itself",
        (".", "--json", "ann.json"): "--json is for one notebook",
        (notebook, "--out", "notes.txt"): "--out notes.txt: that is a file, not a folder",
        (notebook, "--jobs", "0"): "grade: argument --jobs: 0 is not above zero; see grade --help.",
    }
    for argv, sentence in mistakes.items():
        assert exit_status(list(argv)) == 2, argv
        err = capsys.readouterr().err
        assert sentence in err and err.count("\n") == 1, (argv, err)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["ann.ipynb", "notes.txt"], argv  # nothing graded


def test_a_grader_that_fails_is_not_blamed_on_the_notebook():
    crashed = subprocess.CompletedProcess([], 1, "", "Traceback (most recent call last):\n  ...\nTypeError: boom\n")
    status, message = batch.no_grade(crashed, bound=100.0)
    assert status == "failed" and "(TypeError: boom)" in message
    assert "fault of the grader, not of the notebook" in message
    killed = subprocess.CompletedProcess([], -9, "", "")
    assert batch.no_grade(killed, bound=100.0)[0] == "stopped"
