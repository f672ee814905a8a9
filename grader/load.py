"""Stage 1: read the .ipynb, whatever its kernelspec says, repairing what nbformat can repair.

Notebooks arrive from Jupyter, JupyterLab, VS Code and Colab, in nbformat 3 and 4.x, some edited by hand. What
nbformat knows how to mend is mended here (a UTF-8 byte-order mark, older formats, missing or duplicate cell ids,
metadata that breaks the schema, such as `"tags": null`); what it cannot (a cell without `source`) is named in one
sentence, so that no later stage meets a notebook it cannot walk.
"""

import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import validator
from nbformat.reader import NotJSONError

from .errors import NotANotebook, one_line


@dataclass(frozen=True)
class LoadedNotebook:
    path: Path
    notebook: nbformat.NotebookNode


def load(path) -> LoadedNotebook:
    path = Path(path)
    with warnings.catch_warnings():  # nbformat warns on stderr about each repair it makes (cell ids): noise here
        warnings.simplefilter("ignore")
        notebook = _parse(path, _text(path))
        for cell in notebook.cells:  # stored outputs are neither trusted nor needed, nor validated
            cell.pop("outputs", None)
            if cell.get("cell_type") == "code":
                cell.update(outputs=[], execution_count=None)
        _, notebook = validator.normalize(notebook, relax_add_props=True, strip_invalid_metadata=True)
    problem = next(validator.iter_validate(notebook, relax_add_props=True), None)
    if problem is not None:
        raise NotANotebook(path, _described(problem, notebook))
    return LoadedNotebook(path, nbformat.from_dict(notebook))


def _text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotANotebook(path, "there is no such file") from None
    except OSError as error:
        raise NotANotebook(path, f"it cannot be read: {error.strerror}") from None
    try:
        return data.decode("utf-8-sig")  # a byte-order mark, as some editors on Windows write, is not part of the JSON
    except UnicodeDecodeError:
        raise NotANotebook(path, "it is not UTF-8 text") from None


def _parse(path: Path, text: str) -> nbformat.NotebookNode:
    """The notebook in nbformat 4, converted from older versions; validation comes after the repairs."""
    try:
        return nbformat.reads(text, as_version=4, capture_validation_error={})
    except NotJSONError:
        raise NotANotebook(path, "it is not JSON") from None
    except nbformat.NBFormatError as error:  # "Unsupported nbformat version 5"
        raise NotANotebook(path, one_line(str(error), 120)) from None
    except Exception as error:  # nbformat raises nearly anything for JSON of another shape ({"cells": 3}, [])
        detail = (
            str(error)
            if isinstance(error, nbformat.ValidationError)  # "... missing an expected key: metadata"
            else "it lacks a notebook's cells, metadata and nbformat version"
        )
        detail = one_line(detail[:1].lower() + detail[1:], 120)
        raise NotANotebook(path, f"it is JSON but not a notebook: {detail}") from None


def _described(problem, notebook) -> str:
    """What nbformat's validator found, where: 'cell 7 (markdown): 'source' is a required property', cells counted
    among all cells from 1, as the file shows them."""
    place = list(problem.relative_path)
    if len(place) < 2 or place[0] != "cells" or not isinstance(place[1], int):
        return one_line(problem.message, 160)
    cell = notebook.cells[place[1]]
    # A cell of no known type fails every alternative of the schema; its message would repeat the whole cell.
    what = "it is not a code, markdown or raw cell" if problem.validator == "oneOf" else one_line(problem.message, 120)
    return f"cell {place[1] + 1} ({cell.get('cell_type', 'no type')}): {what}"
