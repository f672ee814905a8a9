"""Helpers for the grader's tests: small notebooks built from the solution, graded in a real kernel."""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

from grader.checks import CHECKS
from grader.execute import KernelSession, Limits
from grader.score import run_checks
from grader.student import Student

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "reference" / "solution.ipynb"
TEMPLATE = ROOT / "reference" / "template.ipynb"
FAST_CHECKS = [c for c in CHECKS if not c.id.endswith(".training")]
ASCENT_IN_GATES = """
def update(self, eta):
    self.W += eta * self.dW
    self.R += eta * self.dR
    self.b += eta * self.db
Gate.update = update
"""  # a later cell with one bug: its notebook's grade shows whether anything else changes it


def solution_code(with_experiments=False):
    """The solution's cells, without the training runs unless asked (they only print results)."""
    notebook = nbformat.read(SOLUTION, as_version=4)
    notebook.cells = [c for c in notebook.cells if with_experiments or "experiment" not in c.metadata.get("tags", [])]
    return notebook


def with_cells(notebook, *sources):
    """The notebook with code cells appended: a student's later cell that changes what came before."""
    notebook = nbformat.from_dict(notebook)
    notebook.cells += [new_code_cell(source) for source in sources]
    return notebook


def write(notebook, path):
    nbformat.write(notebook, path)
    return path


def check_results(notebook, check_ids, limits=Limits(cell_timeout=60)):
    """Run only the named checks on the notebook in a fresh kernel; results by check id."""
    checks = [c for c in CHECKS if c.id in check_ids]
    with KernelSession(notebook, limits) as session:
        session.run_notebook()
        student = Student(session)
        return {r.id: r for r in run_checks(student, student.describe(), checks)}
