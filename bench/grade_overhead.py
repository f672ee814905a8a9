"""Grading time of a notebook over its bare execution time (nbclient alone), measured in one run, and each check's
own seconds. Usage: python bench/grade_overhead.py [NOTEBOOK] (default: the solution notebook)."""
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from grader.pipeline import grade_notebook


def bare_execution_seconds(path):
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(notebook, kernel_name="python3", timeout=600,
                   resources={"metadata": {"path": str(Path(path).parent)}}).execute()
    return time.perf_counter() - start


def main(path):
    bare = bare_execution_seconds(path)
    start = time.perf_counter()
    report = grade_notebook(path)
    grading = time.perf_counter() - start
    checks = sum(c.seconds for c in report.checks)
    print(f"notebook: {path}  score {report.score:g}/{report.max_score:g}")
    print(f"bare nbclient execution: {bare:7.2f} s")
    print(f"grade (execute + check): {grading:7.2f} s   ratio {grading / bare:.2f}")
    print(f"checks' own time:        {checks:7.2f} s")
    for c in sorted(report.checks, key=lambda c: -c.seconds):
        print(f"  {c.id:28s} {c.seconds:6.2f} s")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "reference/solution.ipynb")
