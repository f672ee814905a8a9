"""Build the sample submissions and their expected results from data.

    python submissions/build.py          # (re)write submissions/*.ipynb and submissions/*.expected.json
    python submissions/build.py --check  # exit 1 if a checked-in file differs from what would be written

Every notebook starts from reference/template.ipynb, as students download it. The data: students/NAME.py holds
one student's cells, in notebook order, each after a line `# %% <template cell id>` (that cell replaced) or
`# %% new cell <id>` (a cell they added after the one before); a line `# %magic` there is the notebook's `%magic`.
students/answers_*.md hold written answers, after lines `<!-- exercise N -->`. corpus.toml lists the students, the
bugs (a student's cells with text replacements) and incomplete submissions, with what each must cost; styles.toml
the style variants (the same, with code that keeps its meaning and costs at most the deductions listed). Their
headers say how. Lists of exercises and checks come from reference/assignment.py and the grader's registry.
"""

import argparse
import json
import re
import sys
import tomllib
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.checks import CHECKS  # noqa: E402
from reference.assignment import CODE_EXERCISES, DEFINITIONS, EXERCISES  # noqa: E402

HERE = ROOT / "submissions"
TEMPLATE = ROOT / "reference" / "template.ipynb"
CHECK_IDS = [c.id for c in sorted(CHECKS, key=lambda c: c.exercise)]


def cells_of(name):
    """[(cell id, added, source)] of students/NAME.py, in notebook order."""
    text = (HERE / "students" / f"{name}.py").read_text()
    parts = re.split(r"^# %% (new cell )?(\S+)\n", text, flags=re.M)[1:]
    return [
        (key, bool(added), re.sub(r"^# (%\w)", r"\1", source.rstrip("\n"), flags=re.M))
        for added, key, source in zip(parts[::3], parts[1::3], parts[2::3])
    ]


def answers_of(file, answered=None):
    sections = re.findall(
        r"^<!-- exercise (\d+) -->\n(.*?)(?=\n<!-- |\Z)", (HERE / "students" / file).read_text(), re.M | re.S
    )
    return {int(n): text.strip("\n") for n, text in sections if answered is None or int(n) in answered}


def edited(cells, bug):
    """The base student's cells with the bug's edits; each old text must occur exactly once."""
    sources = {key: source for key, _, source in cells}
    for edit in bug["edit"]:
        source = sources[edit["cell"]]
        sources[edit["cell"]] = source.replace(passage(source, edit["old"], bug["name"]), edit["new"])
    return [(key, added, sources[key]) for key, added, _ in cells]


def passage(source, old, name):
    """The text `old` names in `source`: `old` itself, or for "FIRST\\n...\\nLAST" the passage from FIRST to LAST."""
    first, _, last = old.partition("\n...\n")
    count = source.count(first)
    assert count == 1, f"{name}: {count} occurrences of {first!r}"
    start = source.index(first)
    end = source.index(last, start + len(first)) + len(last) if last else start + len(first)
    return source[start:end]


def notebook(cells, answers):
    """The template with the student's cells and answers; cells they added carry no tags (as Jupyter makes them)."""
    template = nbformat.read(TEMPLATE, as_version=4)
    nb = nbformat.v4.new_notebook(metadata=template.metadata)
    replaced = {key: source for key, added, source in cells if not added}
    added_after, previous = {}, None
    for key, added, source in cells:
        if added:
            added_after.setdefault(previous, []).append((key, source))
        else:
            previous = key
    for cell in template.cells:
        cell = nbformat.from_dict(dict(cell))
        tags = cell.metadata.get("tags", [])
        if cell.id in replaced:
            cell.source = replaced[cell.id]
        elif "answer" in tags:
            cell.source = answers.get(int(tags[0].split("-")[1]), cell.source)
        nb.cells.append(cell)
        nb.cells += [
            nbformat.v4.new_code_cell(source=source, id=key, metadata={})
            for key, source in added_after.get(cell.id, [])
        ]
    nbformat.validate(nb)
    return nb


def expectation(entry, kind, lose, failed, free=()):
    deductions = entry.get("deductions", {})
    lose, free = sorted(set(lose) | set(deductions.values())), sorted(set(free))
    diagnosis = entry.get("diagnosis", {})
    assert not set(lose) & set(free) and set(diagnosis) <= set(failed) <= set(CHECK_IDS), entry["name"]
    return {
        "description": entry["description"],
        "kind": kind,
        "full_marks": [e for e in CODE_EXERCISES if e not in lose and e not in free],
        "lose": lose,
        "failed_checks": list(failed),
        "diagnosis": dict(diagnosis),
        "deductions": dict(deductions),
    }


def missing_cost(kept):
    """What an incomplete submission must lose: every check of a name whose exercises' cells it left as handed out."""
    done = {e.number for e in EXERCISES if any(key.startswith(f"ex{e.number:02d}-code") for key in kept)}
    defined = {
        d.name
        for d in DEFINITIONS.values()
        if all(e.number in done for e in EXERCISES if any(x.name == d.name for x in e.defines))
    }
    failed = [c for c in CHECK_IDS if next(x.needs for x in CHECKS if x.id == c) not in defined]
    return sorted({x.exercise for x in CHECKS if x.id in failed}), failed


def corpus():
    """Every submission as data: name -> (its cells, its written answers, its expected result)."""
    data = tomllib.loads((HERE / "corpus.toml").read_text()) | tomllib.loads((HERE / "styles.toml").read_text())
    students = {s["name"]: s for s in data["student"]}
    out = {
        s["name"]: (cells_of(s["name"]), answers_of(s["answers"]), expectation(s, "correct", [], []))
        for s in students.values()
    }
    for entry in data["bug"] + data.get("style", []):
        kind = entry.get("kind", "bug" if "failed" in entry else "style")
        described = dict(entry, description=f"{entry['description']} (based on {entry['base']})")
        out[entry["name"]] = (
            edited(cells_of(entry["base"]), entry),
            answers_of(students[entry["base"]]["answers"]),
            expectation(described, kind, entry.get("lose", []), entry.get("failed", []), entry.get("free", ())),
        )
    for entry in data["incomplete"]:
        kept = entry.get("cells", [])
        cells = [c for c in cells_of(entry["base"]) if c[0] in kept] if kept else []
        answers = answers_of(entry["answers"], entry["answered"]) if "answers" in entry else {}
        out[entry["name"]] = (cells, answers, expectation(entry, "incomplete", *missing_cost(kept)))
    return out


def submissions():
    """name -> (notebook, expected result)."""
    return {name: (notebook(cells, answers), expected) for name, (cells, answers, expected) in corpus().items()}


def render(name, nb, expected):
    return {
        HERE / f"{name}.ipynb": nbformat.writes(nb, version=4) + "\n",
        HERE / f"{name}.expected.json": json.dumps(expected, indent=2, ensure_ascii=False) + "\n",
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report files that differ from what would be written")
    args = parser.parse_args(argv)
    built = submissions()
    files = {path: text for name, (nb, expected) in built.items() for path, text in render(name, nb, expected).items()}
    stale = [p for p, text in files.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    orphans = sorted((set(HERE.glob("*.ipynb")) | set(HERE.glob("*.expected.json"))) - set(files))
    for p in stale if args.check else []:
        print(f"{p.name} is stale: run python submissions/build.py")
    for p in orphans:
        print(f"{p.name} is not built by this script")
    if args.check:
        return 1 if stale or orphans else 0
    for p in stale:
        p.write_text(files[p], encoding="utf-8")
    kinds = [expected["kind"] for _, expected in built.values()]
    print(
        f"wrote {len(built)} submissions ({', '.join(f'{kinds.count(k)} {k}' for k in sorted(set(kinds)))}), "
        f"{len(stale)} files changed"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
