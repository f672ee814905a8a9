"""Why parts of a notebook went unchecked, told from the cause: the first code cell that failed, named as the student
sees it, and what follows from it.

A cell is named by its place among the code cells, "code cell 9 (In [9])", which is how Jupyter numbers it after
Restart & Run All, and by the line its error came out of. A failure follows from an earlier failed cell when that cell
would have defined the name it misses: a later cell's NameError (`np`, after the imports failed), or the checks of an
exercise name the notebook does not define (`Gate`, whose cell failed). A missing module gets advice: a package the
grader does not have, or a module of the student's own beside the notebook, which is not graded with it.
"""

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from IPython.core.inputtransformer2 import TransformerManager

from .errors import excerpt

MISSING_NAME = re.compile(r"^NameError: name '(\w+)' is not defined")
MISSING_MODULE = re.compile(r"^ModuleNotFoundError: No module named '(\w+)'$")  # a top-level module, not numpy.foo
DEFINITION = re.compile(r"^(?:class|def)\s+(\w+)", re.MULTILINE)  # what a cell that does not parse would define
NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)  # their bodies bind no notebook globals


@dataclass(frozen=True)
class Cause:
    """The first failed cell, and the failures that follow from it."""

    error: str  # the cell, its line and its error, with advice where there is some
    cells: tuple[int, ...]  # the later failed cells whose errors follow from it, by number among the code cells
    names: tuple[str, ...]  # the exercise names the notebook does not define because of it
    checks: tuple[str, ...]  # the checks not run for want of those names


def explain(cells, checks, defined, folder) -> tuple[Cause | None, list[str]]:
    """The cause, if a cell failed, and a sentence per failed cell, in order; a failure that follows from an earlier
    one says so. `defined` is which exercise names the notebook defines after running (Student.describe)."""
    failed = [run for run in cells if run.outcome != "ok"]
    if not failed:
        return None, []
    binds = {run.index: defined_names(run.source) for run in failed}
    origin = _origins(failed, binds)
    errors = [
        cell_error(run, Path(folder))
        + ("" if origin[run.index] is run else f" (this follows from {cell_name(origin[run.index])})")
        for run in failed
    ]
    from_first = [run for run in failed if origin[run.index] is failed[0]]
    names = tuple(
        name for name, present in defined.items() if not present and any(name in binds[run.index] for run in from_first)
    )
    return Cause(
        errors[0],
        tuple(run.number for run in from_first[1:]),
        names,
        tuple(check.id for check in checks if check.needs in names),
    ), errors


def _origins(failed, binds):
    """For each failed cell (by index), the earliest failed cell its failure follows from: itself, or the origin of an
    earlier failed cell that binds the name its NameError misses."""
    origin = {}
    for position, run in enumerate(failed):
        missing = MISSING_NAME.match(run.error or "")
        name = missing.group(1) if missing else None
        source = next((earlier for earlier in failed[:position] if name in binds[earlier.index]), None)
        origin[run.index] = origin[source.index] if source is not None else run
    return origin


def cell_name(run) -> str:
    return f"code cell {run.number} (In [{run.number}])"


def cell_error(run, folder: Path) -> str:
    """A failed cell in one sentence: where (cell, line and its text), what, and what to do when the grader knows."""
    lines = run.source.splitlines()
    where = cell_name(run)
    if run.line and 0 < run.line <= len(lines):
        where += f", line {run.line} `{excerpt(lines[run.line - 1])}`"
    return f"{where}: {run.error}{_advice(run.error or '', folder)}"


def _advice(error: str, folder: Path) -> str:
    missing = MISSING_MODULE.match(error)
    if missing is None:
        return ""
    module = missing.group(1)
    if (folder / f"{module}.py").is_file() or (folder / module).is_dir():
        return (
            f"; only the notebook is graded, so `{module}` beside it cannot be imported: put the code your "
            f"notebook uses from it into the notebook"
        )
    return (
        f"; the grader has no package `{module}` and installs none: use numpy, scipy, matplotlib and Python's "
        f"standard library only"
    )


def defined_names(source: str) -> set[str]:
    """The notebook globals a cell binds: its imports, classes, functions and assignments outside any definition."""
    try:
        tree = ast.parse(TransformerManager().transform_cell(source))  # %magics and !commands as IPython runs them
    except SyntaxError:
        return set(DEFINITION.findall(source))
    names = set()
    for node in _statements(tree.body):
        if isinstance(node, NESTED):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {alias.asname or alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def _statements(body):
    """Every statement of a cell outside definitions: those in its if, for, while, with and try blocks too."""
    for node in body:
        yield node
        if not isinstance(node, NESTED):
            for block in ("body", "orelse", "finalbody", "handlers"):
                yield from _statements(getattr(node, block, []))
