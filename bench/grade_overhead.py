"""What grading costs over running the notebook: bare execution (nbclient alone), grading in the sandbox and grading
without it (--no-sandbox), interleaved so that the machine's load falls on all three alike; prints the medians, their
ratios, and each check's own seconds in the last sandboxed grading.

With --against DIR (a checkout of another commit, e.g. `git worktree add /tmp/before <commit>`), the `grade` command
of this checkout and of DIR grade the notebook in turn, each as a process of its own, and their ratio is printed:
"how much longer than before".

Usage: python bench/grade_overhead.py [NOTEBOOK] [--repeat N] [--against DIR]
       (default: the solution notebook, 3 repetitions).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from grader.execute import Limits
from grader.pipeline import grade_notebook


def bare_execution(path):
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(Path(path).parent)}}
    ).execute()


def grade_command(checkout, notebook):
    """`grade NOTEBOOK` as the checkout's grader runs it, in a process of its own (output discarded)."""
    code = "import sys; from grader.cli import main; sys.exit(main(sys.argv[1:]))"
    env = dict(os.environ, PYTHONPATH=str(checkout))
    notebook = str(Path(notebook).resolve())
    return lambda: subprocess.run([sys.executable, "-c", code, notebook], cwd=checkout, env=env, capture_output=True)


def compare_with(other, notebook, repeat):
    ways = {
        "this checkout": grade_command(Path(__file__).resolve().parents[1], notebook),
        str(other): grade_command(other, notebook),
    }
    seconds = {name: [] for name in ways}
    for _ in range(repeat):
        for name, run in ways.items():
            seconds[name].append(timed(run)[0])
    median = {name: statistics.median(values) for name, values in seconds.items()}
    print(f"notebook: {notebook}  ({repeat} repetitions, `grade` as a process)")
    for name, value in median.items():
        print(f"{name:40s} median {value:7.2f} s   ({', '.join(f'{s:.1f}' for s in seconds[name])})")
    this, before = median.values()
    print(f"this checkout / {other}: {this / before:.3f}")


def timed(run):
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", nargs="?", default="reference/solution.ipynb")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--against", type=Path, help="another checkout whose `grade` to compare with")
    args = parser.parse_args(argv)
    if args.against:
        return compare_with(args.against, args.notebook, args.repeat)
    ways = {
        "bare nbclient execution": lambda: bare_execution(args.notebook),
        "grade, sandboxed": lambda: grade_notebook(args.notebook),
        "grade, --no-sandbox": lambda: grade_notebook(args.notebook, Limits(sandbox=False)),
    }
    seconds, results = {name: [] for name in ways}, {}
    for _ in range(args.repeat):
        for name, run in ways.items():
            spent, results[name] = timed(run)
            seconds[name].append(spent)
    report = results["grade, sandboxed"]
    median = {name: statistics.median(values) for name, values in seconds.items()}
    bare, sandboxed, plain = median.values()
    print(f"notebook: {args.notebook}  score {report.score:g}/{report.max_score:g}  ({args.repeat} repetitions)")
    for name, value in median.items():
        print(f"{name:26s} median {value:7.2f} s   ({', '.join(f'{s:.1f}' for s in seconds[name])})")
    print(f"grading / bare execution:  {sandboxed / bare:.2f} (sandboxed), {plain / bare:.2f} (--no-sandbox)")
    print(f"sandboxed / --no-sandbox:  {sandboxed / plain:.3f}")
    print(f"checks' own time (last sandboxed grading): {sum(c.seconds for c in report.checks):.2f} s")
    for c in sorted(report.checks, key=lambda c: -c.seconds):
        print(f"  {c.id:28s} {c.seconds:6.2f} s")


if __name__ == "__main__":
    main()
