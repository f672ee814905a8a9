"""The whole pipeline for one notebook: load, execute, locate, extract, check, score."""

from dataclasses import dataclass, field
from pathlib import Path

from . import errors
from .cause import Cause, explain
from .checks import CHECKS
from .execute import CellRun, KernelSession, Limits
from .load import load
from .locate import WrittenAnswer, printed_results, written_answers
from .score import CheckResult, Deduction, deductions, run_checks, size_globals, totals
from .student import Described, Student


@dataclass
class GradeReport:
    notebook: str
    score: float
    max_score: float
    exercises: dict  # exercise number -> (score, max_score)
    checks: list[CheckResult]
    deductions: list[Deduction] = field(default_factory=list)  # breaches of the template, each charged once
    errors: list[str] = field(default_factory=list)
    cells: list[CellRun] = field(default_factory=list)
    written: list[WrittenAnswer] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    printed: dict = field(default_factory=dict)  # exercise -> the student's own printed results (not graded)
    cause: Cause | None = None  # the first failed cell and what follows from it


def grade_notebook(path, limits: Limits = Limits(), checks=CHECKS) -> GradeReport:
    loaded = load(path)  # raises NotANotebook: the caller reports it in one sentence
    with KernelSession(loaded.notebook, limits) as session:
        cells = session.run_notebook()
        student = Student(session)
        try:
            described = student.describe()
        except errors.GradingError as error:
            described, student = Described({}, {}), None
            cell_errors = [error.sentence()]
        else:
            cell_errors = []
        results = run_checks(student, described, checks)
    charged = deductions(student.breaches if student else (), described.globals_read)
    sized = {m for methods, _ in size_globals(described.globals_read).values() for m in methods}
    notes = [
        f"`{method}` reads the notebook global(s) {names}: pass values as arguments or keep them as attributes, "
        f"so that the method works wherever it is called."
        for method, names in described.globals_read.items()
        if method not in sized
    ] + ([f"Sandbox: {session.isolation}."] if session.isolation else [])
    per_exercise = totals(results, charged)
    cause, failed_cells = explain(cells, checks, described.defined, Path(path).parent)
    return GradeReport(
        notebook=str(Path(path)),
        score=sum(s for s, _ in per_exercise.values()),
        max_score=sum(m for _, m in per_exercise.values()),
        exercises=per_exercise,
        checks=results,
        deductions=charged,
        errors=cell_errors + failed_cells,
        cells=cells,
        written=written_answers(loaded.notebook),
        notes=notes,
        printed=printed_results(loaded.notebook, cells),
        cause=cause,
    )
