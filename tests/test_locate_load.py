"""Loading and locating: a broken file gets one sentence; exercises are found by tags or by headings."""

import json

import nbformat
import pytest
from grading import TEMPLATE
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell

from grader.cli import main
from grader.errors import NotANotebook
from grader.load import load
from grader.locate import exercise_of_cells, written_answers


def tagged(cell, *tags):
    cell.metadata["tags"] = list(tags)
    return cell


@pytest.mark.parametrize("content", ["not json at all", '{"cells": 3}', ""])
def test_a_file_that_is_not_a_notebook_gets_one_sentence(tmp_path, capsys, content):
    path = tmp_path / "broken.ipynb"
    path.write_text(content)
    with pytest.raises(NotANotebook):
        load(path)
    assert main([str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "could not be read as a Jupyter notebook" in err and "Traceback" not in err


def test_a_missing_file_gets_one_sentence(tmp_path, capsys):
    assert main([str(tmp_path / "nowhere.ipynb")]) == 2
    assert "there is no such file" in capsys.readouterr().err


def as_json(notebook):
    return json.loads(nbformat.writes(notebook))


def test_what_nbformat_can_repair_is_repaired(tmp_path):
    """A byte-order mark (Windows editors), `"tags": null` and cells without ids (hand-edited files) still grade."""
    content = as_json(new_notebook(cells=[new_code_cell("x = 1"), tagged(new_markdown_cell("## Exercise 1"), "a")]))
    content["cells"][0]["metadata"]["tags"] = None
    for cell in content["cells"]:
        del cell["id"]
    path = tmp_path / "edited.ipynb"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(content).encode())
    notebook = load(path).notebook
    assert [c.source for c in notebook.cells] == ["x = 1", "## Exercise 1"]
    assert "tags" not in notebook.cells[0].metadata and all(c.id for c in notebook.cells)
    assert exercise_of_cells(notebook) == [None, 1]  # what the later stages walk


def test_what_nbformat_cannot_repair_is_named_in_one_sentence(tmp_path, capsys):
    content = as_json(new_notebook(cells=[new_code_cell("x = 1"), new_markdown_cell("text"), new_code_cell("y = 2")]))
    del content["cells"][1]["source"]
    path = tmp_path / "edited.ipynb"
    path.write_text(json.dumps(content))
    assert main([str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "cell 2 (markdown): 'source' is a required property" in err


def test_any_kernelspec_loads_and_outputs_are_dropped(tmp_path):
    nb = new_notebook(metadata={"kernelspec": {"name": "julia-1.9", "display_name": "Julia", "language": "julia"}})
    nb.cells = [new_code_cell("print(1)", outputs=[nbformat.v4.new_output("stream", text="fake result: 100/100")])]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    assert load(path).notebook.cells[0].outputs == []


def test_exercises_by_tags_and_by_headings():
    nb = new_notebook(
        cells=[
            new_markdown_cell("# LSTM assignment"),
            tagged(new_code_cell("class Gate: ..."), "exercise-2"),
            new_markdown_cell("## Exercise 3: gradients of a gate"),
            new_markdown_cell("δ = g ⊙ φ'(s), so ∇W = δ xᵀ"),
            new_markdown_cell("### Exercise 8"),
            tagged(new_markdown_cell("Your answer here"), "exercise-8", "answer"),
            tagged(new_markdown_cell("The sensitivities carry over time."), "exercise-11", "answer"),
        ]
    )
    assert exercise_of_cells(nb) == [None, 2, 3, 3, 8, 8, 11]
    answers = {a.exercise: a.text for a in written_answers(nb)}
    assert answers == {1: "", 3: "δ = g ⊙ φ'(s), so ∇W = δ xᵀ", 8: "", 11: "The sensitivities carry over time."}


def test_written_answers_are_found_wherever_the_student_put_them():
    notebook = nbformat.read(TEMPLATE, as_version=4)
    answer_cell = {tags[0]: i for i, c in enumerate(notebook.cells) if "answer" in (tags := c.metadata["tags"])}
    statement = next(c for c in notebook.cells if c.metadata["tags"] == ["exercise-8", "text"])
    statement.source += "\n\nThe sensitivities grow as I·(D + I + 1) per cell."  # into the statement's own cell
    notebook.cells[answer_cell["exercise-11"]].source = "RTRL keeps up to T = 4."  # the placeholder replaced
    notebook.cells.insert(answer_cell["exercise-3"] + 1, new_markdown_cell("δ = g ⊙ φ'(s)"))  # below the placeholder
    notebook.cells.insert(answer_cell["exercise-1"] + 1, new_raw_cell("The gradient vanishes."))  # a raw cell
    answers = {a.exercise: a.text for a in written_answers(notebook)}
    assert answers == {
        1: "The gradient vanishes.",
        3: "δ = g ⊙ φ'(s)",
        8: "The sensitivities grow as I·(D + I + 1) per cell.",
        11: "RTRL keeps up to T = 4.",
    }
