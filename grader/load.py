"""Stage 1: read the .ipynb, whatever its kernelspec says."""
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat.reader import NotJSONError

from .errors import NotANotebook


@dataclass(frozen=True)
class LoadedNotebook:
    path: Path
    notebook: nbformat.NotebookNode


def load(path) -> LoadedNotebook:
    path = Path(path)
    try:
        notebook = nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise NotANotebook(path, "there is no such file") from None
    except Exception as error:  # nbformat raises many kinds for broken JSON, unknown versions, bad schema
        reason = "it is not JSON" if isinstance(error, NotJSONError) else type(error).__name__
        raise NotANotebook(path, reason) from None
    for cell in notebook.cells:
        cell.pop("outputs", None) if cell.cell_type != "code" else cell.update(outputs=[], execution_count=None)
    return LoadedNotebook(path, notebook)
