"""Generate the student template and the solution notebook from one description, so the two never drift.

    python -m reference.notebooks            # (re)write reference/template.ipynb and reference/solution.ipynb
    python -m reference.notebooks --check    # exit 1 if the checked-in files differ from what would be written

The description is data: the exercises and their interface in reference/assignment.py, their statements in
reference/exercises.md, the setup and experiment cells in reference/cells/. Both notebooks have the same cells, in
the same order, with the same ids and tags; they differ only in the code the students write and in the written
answers. The solution's code is the reference itself, read from reference/*.py with `inspect`/`ast`, so editing
the reference and re-running this script updates the solution (tests/test_notebooks.py fails while the checked-in
files are stale). No outputs are stored.

Tag scheme (cell.metadata["tags"]): every cell has exactly two tags.
  exercise-N   the exercise the cell belongs to, N = 1..11; exercise-0 is the preamble (title, model, setup).
  a role, one of
    text         the statement (Markdown). Same in both notebooks.
    setup        imports and the global seed (exercise-0). Same in both notebooks.
    given        code handed out ready-made (the activation functions). Same in both notebooks.
    code         code the student writes and the grader calls through the interface: stubs raising
                 NotImplementedError in the template, the reference in the solution.
    experiment   a training run with its printed result: a commented skeleton in the template (it runs without
                 calling anything), a short run in the solution. Graders may skip these cells.
    answer       a written answer (Markdown): "*Your answer here.*" in the template, a pointer to
                 reference/answers.md in the solution.
Cell ids are "ex<NN>-<role>-<k>" (k counts cells of that exercise and role from 1), the same in both notebooks.

A class's first exercise holds its `class` statement; the methods of later exercises are functions attached to the
class in their own cell (`Gate.backward = backward`), so a broken cell spoils only its exercise. A reference
class's helper members (not in the interface) go into the cell of the next interface method in source order.
The template never calls a stub: it executes top to bottom without errors (and does nothing useful).
"""

import argparse
import ast
import importlib
import inspect
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import nbformat

from . import activations
from .assignment import EXERCISES

HERE = Path(__file__).resolve().parent
TEMPLATE_PATH = HERE / "template.ipynb"
SOLUTION_PATH = HERE / "solution.ipynb"
STATEMENTS_PATH = HERE / "exercises.md"
CELLS = HERE / "cells"

ROLES = ("text", "setup", "given", "code", "experiment", "answer")
PLACEHOLDER = "*Your answer here.*"


@dataclass(frozen=True)
class Cell:
    exercise: int
    role: str
    template: str
    solution: str | None = None  # None: the same source in both notebooks

    @property
    def kind(self):
        return "markdown" if self.role in ("text", "answer") else "code"


# ------------------------------------------------------------------------------------------ the statements


def statements():
    """exercises.md's sections by exercise (0: the preamble, several cells); the file's own header is dropped."""
    sections = {}
    for marker, text in re.findall(
        r"^<!-- (preamble|exercise \d+) -->\n(.*?)(?=^<!-- |\Z)", STATEMENTS_PATH.read_text(), re.M | re.S
    ):
        number = 0 if marker == "preamble" else int(marker.split()[1])
        sections.setdefault(number, []).append(text.strip())
    return sections


def cell_file(name):
    return (CELLS / name).read_text().rstrip("\n")


# ------------------------------------------------------------------------------------------ reading the reference


def prelude(module, name):
    """The module's own statements above the definition of `name` (constants, helpers), without its docstring and
    imports: what the solution cell needs besides the definition itself. Consecutive constants stay together."""
    source = inspect.getsource(module)
    body = ast.parse(source).body
    if body and isinstance(body[0], ast.Expr):  # the module's docstring
        body = body[1:]
    blocks = []  # (is a constant, source)
    for node in body:
        if getattr(node, "name", None) == name:
            break
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        text = ast.get_source_segment(source, node)
        if isinstance(node, ast.Assign) and blocks and blocks[-1][0]:
            blocks[-1] = (True, blocks[-1][1] + "\n" + text)
        else:
            blocks.append((isinstance(node, ast.Assign), text))
    return "\n\n\n".join(text for _, text in blocks)


def member_source(cls, name):
    """A method or property of a reference class, as indented in the class body."""
    member = cls.__dict__[name]
    return inspect.getsource(member.fget if isinstance(member, property) else member).rstrip()


def members_by_exercise(cls, interface):
    """{exercise: member names} for a reference class, given {method name: exercise} of the interface: every helper
    member joins the next interface method in source order."""
    placed, waiting = {}, []
    for name, member in cls.__dict__.items():
        if not (inspect.isfunction(member) or isinstance(member, property)):
            continue
        waiting.append(name)
        if name in interface:
            placed.setdefault(interface[name], []).extend(waiting)
            waiting = []
    if waiting:
        raise LookupError(f"{cls.__name__}'s members {waiting} come after its last interface method: move them up")
    return placed


# ------------------------------------------------------------------------------------------ one definition's cell


def stub(method, exercise, indent=""):
    body = textwrap.indent(f'"""{method.doc}"""\n# TODO (exercise {exercise})\nraise NotImplementedError', "    ")
    return textwrap.indent(f"def {method.name}({method.params}):\n{body}", indent)


def attach_line(class_name, names):
    return "\n".join(f"{class_name}.{name} = {name}" for name in names)


def joined(*blocks):
    return "\n\n\n".join(filter(None, blocks))


def definition_cell(exercise, definition):
    """The code cell of one notebook name in one exercise: (template, solution)."""
    module = importlib.import_module(f"{__package__}.{definition.module}")
    target = getattr(module, definition.name)
    if inspect.isfunction(target):
        (method,) = definition.methods
        return stub(method, exercise.number), joined(
            prelude(module, definition.name), inspect.getsource(target).rstrip()
        )
    exercises = [e.number for e in EXERCISES if any(d.name == definition.name for d in e.defines)]
    interface = {m.name: e.number for e in EXERCISES for d in e.defines if d.name == definition.name for m in d.methods}
    members = members_by_exercise(target, interface)[exercise.number]
    if exercise.number == exercises[0]:
        return class_cell(
            exercise.number,
            definition,
            exercises[1:],
            joined(
                prelude(module, definition.name),
                f"class {definition.name}:\n" + "\n\n".join(member_source(target, name) for name in members),
            ),
        )
    return attached_cell(
        exercise.number,
        definition,
        "\n\n\n".join(textwrap.dedent(member_source(target, name)) for name in members)
        + "\n\n\n"
        + attach_line(definition.name, members),
    )


def class_cell(number, definition, later, solution):
    """A class's first exercise: the `class` statement with stubs of its methods there."""
    note = f"# Exercise {number}" + (
        f" (the methods of exercise {', '.join(map(str, later))} follow there)." if later else "."
    )
    stubs = "\n\n".join(stub(m, number, indent="    ") for m in definition.methods)
    return f"{note}\nclass {definition.name}:\n{stubs}", solution


def attached_cell(number, definition, solution):
    """A later exercise of a class: its methods as functions, attached to the class by the cell's last lines."""
    names = [m.name for m in definition.methods]
    return (
        f"# Exercise {number}: complete these methods. The last lines attach them to {definition.name}; keep "
        f"them.\n"
        + "\n\n\n".join(stub(m, number) for m in definition.methods)
        + "\n\n\n"
        + attach_line(definition.name, names)
    ), solution


# ------------------------------------------------------------------------------------------ the notebook


def exercise_cells(exercise, statement):
    """An exercise's cells in their order: statement, given code, code, experiment, answer."""
    heading = f"## Exercise {exercise.number} — {exercise.title} ({exercise.kind})"
    cells = [Cell(exercise.number, "text", f"{heading}\n\n{statement}")]
    if exercise.given:
        given = "\n\n\n".join(
            textwrap.dedent(inspect.getsource(getattr(activations, f))).rstrip() for f in exercise.given
        )
        cells.append(
            Cell(
                exercise.number,
                "given",
                "# Given: activation functions; each derivative takes the pre-activation s.\n" + given,
            )
        )
    cells += [Cell(exercise.number, "code", *definition_cell(exercise, d)) for d in exercise.defines]
    if exercise.experiment:
        name = f"exercise{exercise.number}"
        cells.append(
            Cell(exercise.number, "experiment", cell_file(f"{name}.template.py"), cell_file(f"{name}.solution.py"))
        )
    if exercise.written:
        cells.append(
            Cell(
                exercise.number,
                "answer",
                PLACEHOLDER,
                f"*Reference answer: `reference/answers.md`, section \u201cExercise {exercise.number}\u201d.*",
            )
        )
    return cells


def cells():
    """The one description both notebooks are made from."""
    text = statements()
    preamble = [Cell(0, "text", section) for section in text[0]] + [Cell(0, "setup", cell_file("setup.py"))]
    return preamble + [cell for e in EXERCISES for cell in exercise_cells(e, text[e.number][0])]


def build(which):
    """The template ("template") or solution ("solution") notebook as an nbformat node."""
    if which not in ("template", "solution"):
        raise ValueError(which)
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    counts = {}
    for cell in cells():
        key = (cell.exercise, cell.role)
        counts[key] = counts.get(key, 0) + 1
        source = cell.solution if which == "solution" and cell.solution is not None else cell.template
        fields = dict(
            source=source,
            id=f"ex{cell.exercise:02d}-{cell.role}-{counts[key]}",
            metadata={"tags": [f"exercise-{cell.exercise}", cell.role]},
        )
        make = nbformat.v4.new_markdown_cell if cell.kind == "markdown" else nbformat.v4.new_code_cell
        nb.cells.append(make(**fields))
    nbformat.validate(nb)
    return nb


def render(which):
    """The exact text of the .ipynb file."""
    return nbformat.writes(build(which), version=4) + "\n"


def targets():
    return {TEMPLATE_PATH: render("template"), SOLUTION_PATH: render("solution")}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m reference.notebooks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report whether the checked-in files are stale")
    args = parser.parse_args(argv)
    stale = [path for path, text in targets().items() if not path.exists() or path.read_text(encoding="utf-8") != text]
    if args.check:
        for path in stale:
            print(f"{path.name} is stale: run python -m reference.notebooks")
        return 1 if stale else 0
    for path, text in targets().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(HERE.parent)}" + ("" if path in stale else " (unchanged)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
