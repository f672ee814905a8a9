"""Stage 3: which cells belong to which exercise (template tags first, else "Exercise N" headings)."""
import re
from dataclasses import dataclass

from reference.assignment import EXPERIMENT_EXERCISES, WRITTEN_EXERCISES

HEADING = re.compile(r"^\s*#+.*?\b(?:exercise|task|aufgabe)\s*(\d+)", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class WrittenAnswer:
    exercise: int
    text: str  # empty when the student left the template's placeholder


def exercise_of_cells(notebook) -> list[int | None]:
    """The exercise each cell belongs to: its `exercise-N` tag, else the last heading above it."""
    current, owners = None, []
    for cell in notebook.cells:
        tagged = [int(t.split("-")[1]) for t in cell.get("metadata", {}).get("tags", []) if re.fullmatch(r"exercise-\d+", t)]
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
    """The Markdown the student wrote for each written exercise (answer cells, else every Markdown cell of it)."""
    owners = exercise_of_cells(notebook)
    answers = []
    for exercise in WRITTEN_EXERCISES:
        cells = [c for c, owner in zip(notebook.cells, owners) if owner == exercise and c.cell_type == "markdown"]
        tagged = [c for c in cells if "answer" in c.get("metadata", {}).get("tags", [])]
        text = "\n\n".join(c.source.strip() for c in (tagged or cells[1:]))
        if re.fullmatch(r"\s*(\*?your answer here\.?\*?)?\s*", text, re.IGNORECASE):
            text = ""
        answers.append(WrittenAnswer(exercise, text))
    return answers
