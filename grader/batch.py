"""A course folder: every notebook graded by a `grade` process of its own, a few at a time.

A process per notebook means that whatever one notebook does (kill the process grading it, exhaust memory, hang past
every limit) costs only its own grade. Each one's result is the same file `grade NOTEBOOK --json` writes, so a
notebook gets the same grade in a batch as alone. What the batch adds: the notebooks found under the given paths,
per-notebook files in the output folder (NAME.json, and NAME.txt with the report a student reads), `summary.csv`,
and a bound on each grading's wall-clock time.
"""

import csv
import json
import os
import secrets
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from .checks import CHECKS
from .execute import Limits
from .processes import kill_token_holders

BATCH_TOKEN_VARIABLE = "GRADER_BATCH_TOKEN"  # inherited by the grading process and its kernel: found and killed after
CHECKS_SECONDS = 900.0  # a grading's allowance on top of the notebook's own time limit, for the checks


@dataclass(frozen=True)
class Graded:
    """One notebook's line in the summary."""

    notebook: str  # as found, relative to the folder given
    status: str  # "graded" | "unreadable" (not a notebook) | "stopped" (by the notebook) | "failed" (the grader)
    score: float | None
    max_score: float | None
    seconds: float
    message: str = ""  # why there is no grade
    exercises: dict = field(default_factory=dict)  # exercise number (str) -> {"score", "max_score"}


def notebooks_in(paths):
    """(notebook, its name) for every notebook given or found below a folder given, each once, sorted below a folder;
    the names are the paths below the folder all of them share, so they are unique. Below a folder, what is no
    student's notebook is left out: folders named *.ipynb, hidden files and folders (Jupyter's checkpoint copies,
    macOS's ._NAME.ipynb) and the __MACOSX folder of a zip archive."""
    found = []
    for given in map(Path, paths):
        found += (
            [p for p in sorted(given.rglob("*.ipynb")) if p.is_file() and not _hidden(p.relative_to(given))]
            if given.is_dir()
            else [given]
        )
    found = list(dict.fromkeys(p.resolve() for p in found))
    shared = Path(os.path.commonpath([p.parent for p in found])) if found else None
    return [(p, p.relative_to(shared)) for p in found]


def _hidden(relative):
    return any(part.startswith(".") or part == "__MACOSX" for part in relative.parts)


def grade_one(notebook, name, out_dir, limits, running=None):
    """Grade one notebook in its own process; its report and JSON land in out_dir under its name. `running` holds
    the tokens of the gradings under way, for a batch that is stopped."""
    json_path, text_path = (out_dir / name).with_suffix(".json"), (out_dir / name).with_suffix(".txt")
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    running = set() if running is None else running
    running.add(token)
    command = [
        sys.executable,
        "-m",
        "grader.cli",
        str(notebook),
        "--json",
        str(json_path),
        "--cell-timeout",
        str(limits.cell_timeout),
        "--notebook-timeout",
        str(limits.notebook_timeout),
        "--memory",
        str(limits.memory_bytes / 2**30),
    ] + ([] if limits.sandbox else ["--no-sandbox"])
    bound = limits.notebook_timeout + CHECKS_SECONDS
    start = time.monotonic()
    with open(text_path, "w") as report:
        try:
            done = subprocess.run(
                command,
                stdout=report,
                stderr=subprocess.PIPE,
                text=True,
                timeout=bound,
                env=os.environ | {BATCH_TOKEN_VARIABLE: token},
                start_new_session=True,
            )
        except subprocess.TimeoutExpired:
            done = None
        finally:
            kill_token_holders(BATCH_TOKEN_VARIABLE, token)  # the kernel, if the grading process was killed
            running.discard(token)
    seconds = round(time.monotonic() - start, 1)
    if done is not None and done.returncode == 0 and json_path.exists():
        result = json.loads(json_path.read_text())
        return Graded(str(name), "graded", result["score"], result["max_score"], seconds, exercises=result["exercises"])
    status, message = no_grade(done, bound)
    text_path.write_text(message + "\n")  # in place of the report, which the grading process could not write
    return Graded(str(name), status, None, None, seconds, message)


def no_grade(done, bound):
    """(status, message) of a grading process that left no grade (`done` is None when it ran out of time): the file
    is no notebook, the grader failed (an exception it did not handle: its own fault, not the notebook's), or the
    notebook stopped its grader."""
    if done is not None and done.returncode == 2:
        return "unreadable", done.stderr.strip()
    if done is not None and done.returncode == 1:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return "failed", (
            f"No grade: the grader itself failed on this notebook ({last}); that is a fault of the "
            f"grader, not of the notebook: report it, with the notebook."
        )
    stopped = (
        f"its grading did not finish within {bound:g} s"
        if done is None
        else f"its grading process was killed by signal {-done.returncode}"
        if done.returncode < 0
        else f"its grading process ended with exit status {done.returncode}"
        if done.returncode
        else "no result was written"
    )
    return "stopped", (
        f"No grade: {stopped}, most likely by code in the notebook that kills its parent process "
        f"(os.kill, os.getppid) or never ends; look there and grade it again."
    )


def grade_all(found, out_dir, limits=Limits(), jobs=2, progress=print):
    """Every notebook found (notebooks_in), `jobs` at a time; summary.csv in out_dir; the lines in the order found."""
    out_dir = Path(out_dir)
    lines, running = {}, set()
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        futures = {pool.submit(grade_one, notebook, name, out_dir, limits, running): name for notebook, name in found}
        for done, future in enumerate(as_completed(futures), 1):
            line = lines[futures[future]] = future.result()
            outcome = f"{line.score:g}/{line.max_score:g}" if line.status == "graded" else line.status
            progress(f"[{done}/{len(found)}] {line.notebook}: {outcome} ({line.seconds:.0f} s)")
    except BaseException:  # SIGTERM (as SystemExit) or Ctrl-C: no grading may outlive the batch
        pool.shutdown(wait=False, cancel_futures=True)
        for token in list(running):
            kill_token_holders(BATCH_TOKEN_VARIABLE, token)
        raise
    finally:
        pool.shutdown()
    ordered = [lines[name] for _, name in found]
    write_summary(ordered, out_dir / "summary.csv")
    return ordered


def write_summary(lines, path):
    exercises = sorted({c.exercise for c in CHECKS})
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["notebook", "status", "score", "max_score"] + [f"ex{e}" for e in exercises] + ["seconds", "message"]
        )
        for line in lines:
            per_exercise = [line.exercises.get(str(e), {}).get("score", "") for e in exercises]
            writer.writerow(
                [
                    line.notebook,
                    line.status,
                    "" if line.score is None else line.score,
                    "" if line.max_score is None else line.max_score,
                ]
                + per_exercise
                + [line.seconds, line.message]
            )
