"""Stage 3: which cells belong to which exercise (template tags first, else "Exercise N" headings)."""

import re
from dataclasses import dataclass

from reference import notebooks
from reference.assignment import EXPERIMENT_EXERCISES, WRITTEN_EXERCISES

HEADING = re.compile(r"^\s*#+.*?\b(?:exercise|task|aufgabe)\s*(\d+)", re.IGNORECASE | re.MULTILINE)
STATEMENTS = {cell.exercise: cell.template.strip() for cell in notebooks.cells() if cell.role == "text"}
PLACEHOLDER = re.compile(r"\*?your answer here\.?\*?", re.IGNORECASE)


@dataclass(frozen=True)
class WrittenAnswer:
    exercise: int
    text: str  # empty when the student left the template's placeholder


def exercise_of_cells(notebook) -> list[int | None]:
    """The exercise each cell belongs to: its `exercise-N` tag, else the last heading above it."""
    current, owners = None, []
    for cell in notebook.cells:
        tagged = [
            int(t.split("-")[1]) for t in cell.get("metadata", {}).get("tags", []) if re.fullmatch(r"exercise-\d+", t)
        ]
        if tagged:
            current = tagged[0]
        elif cell.cell_type == "markdown" and (match := HEADING.search(cell.source)):
            current = int(match.group(1))
        owners.append(current)
    return owners


def printed_results(notebook, runs, exercises=EXPERIMENT_EXERCISES, lines=8) -> dict[int, str]:
    """The last lines each training exercise's cells printed: the student's own results, shown for information."""
    owners = exercise_of_cells(notebook)
    printed = {}
    for exercise in exercises:
        text = "".join(run.output_excerpt for run in runs if owners[run.index] == exercise).strip()
        if text:
            printed[exercise] = "\n".join(text.splitlines()[-lines:])
    return printed


def written_answers(notebook) -> list[WrittenAnswer]:
    """What the student wrote for each written exercise: every Markdown or raw cell between its heading and the next,
    in the answer cell or in cells of their own, less the statement and the template's placeholder."""
    owners = exercise_of_cells(notebook)
    answers = []
    for exercise in WRITTEN_EXERCISES:
        cells = [c for c, owner in zip(notebook.cells, owners) if owner == exercise and c.cell_type != "code"]
        parts = (_written(c.source, STATEMENTS[exercise]) for c in cells)
        answers.append(WrittenAnswer(exercise, "\n\n".join(part for part in parts if part)))
    return answers


def _written(source, statement):
    """A cell's text without the exercise's statement or heading (above an answer written into the same cell) and
    without the placeholder."""
    text = source.strip()
    if text.startswith(statement):
        text = text[len(statement) :].strip()
    if HEADING.match(text):  # a heading of the student's own that starts the exercise
        text = text.partition("\n")[2]
    return PLACEHOLDER.sub("", text).strip()
