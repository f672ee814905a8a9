"""`grade NOTEBOOK [--json FILE]`: grade one notebook and say why; `grade FOLDER ... [--out DIR]`: grade them all.

Every mistake on the command line (a path that does not exist, an output that cannot be written, an option that does
not fit) is caught before anything is graded, in one sentence, with exit status 2: a long batch never ends in a
traceback, and nothing is written but the output asked for.
"""

import argparse
import os
import signal
import sys
from pathlib import Path

from . import errors
from .batch import grade_all, notebooks_in
from .execute import Limits
from .pipeline import grade_notebook
from .report import as_text, rubric, write_json

DEFAULT_OUT = "grades"


class Parser(argparse.ArgumentParser):
    def error(self, message):
        """argparse's own usage errors, in one sentence like every other mistake."""
        self.exit(2, f"grade: {message}; see grade --help.\n")


def positive(kind):
    """An argparse type: a number of `kind` above zero."""

    def parse(text):
        if (value := kind(text)) <= 0:
            raise argparse.ArgumentTypeError(f"{text} is not above zero")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in "invalid int value"
    return parse


def parser():
    parser = Parser(prog="grade", description="Grade LSTM assignment notebooks.")
    parser.add_argument(
        "notebooks",
        nargs="*",
        metavar="NOTEBOOK",
        help="a notebook; several, or a folder: each graded in its own process (see --out)",
    )
    parser.add_argument("--json", metavar="FILE", help="one notebook: also write the result as JSON")
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="several notebooks (or one, with this option): where NAME.json, "
        f"NAME.txt and summary.csv go (default: {DEFAULT_OUT})",
    )
    parser.add_argument(
        "--jobs", type=positive(int), default=os.cpu_count() or 1, help="several notebooks: how many at once"
    )
    parser.add_argument("--cell-timeout", type=positive(float), default=Limits.cell_timeout, help="seconds per cell")
    parser.add_argument(
        "--notebook-timeout",
        type=positive(float),
        default=Limits.notebook_timeout,
        help="seconds for the whole notebook's cells",
    )
    parser.add_argument(
        "--memory", type=positive(float), default=Limits.memory_bytes / 2**30, help="kernel memory limit, GiB"
    )
    parser.add_argument(
        "--no-sandbox",
        action="store_true",
        help="for debugging: run the notebook's kernel as yourself, with resource limits only",
    )
    parser.add_argument("--rubric", action="store_true", help="print what every check proves and is worth, and stop")
    return parser


def main(argv=None):
    args = parser().parse_args(argv)
    if args.rubric:
        print(rubric())
        return 0
    if not args.notebooks:
        return refuse("grade: give a notebook, several, or a folder of them; see grade --help.")
    # A terminated grader still leaves through the sessions' __exit__, which ends the kernel and its children.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    limits = Limits(
        cell_timeout=args.cell_timeout,
        notebook_timeout=args.notebook_timeout,
        memory_bytes=int(args.memory * 2**30),
        sandbox=not args.no_sandbox,
    )
    several = len(args.notebooks) > 1 or Path(args.notebooks[0]).is_dir() or args.out is not None
    if mistake := paths_mistake(args, several):
        return refuse(mistake)
    return grade_several(args, limits) if several else grade_single(args, limits)


def refuse(sentence):
    print(sentence, file=sys.stderr)
    return 2


def paths_mistake(args, several):
    """What is wrong with the paths given, in one sentence, or None."""
    missing = [path for path in args.notebooks if not Path(path).exists()]
    if missing:
        return f"{', '.join(missing)}: there is no such file or folder."
    if several and args.json:
        return "--json is for one notebook; of several, each one's JSON goes to the --out folder."
    if args.json and Path(args.json).resolve() == Path(args.notebooks[0]).resolve():
        return f"--json {args.json}: that is the notebook itself; give another file for the result."
    return json_mistake(Path(args.json)) if args.json else None


def json_mistake(path):
    """Why the result could not be written to `path`, found before grading rather than after."""
    folder = path.parent
    if path.is_dir():
        return f"--json {path}: that is a folder; give the file the result is to be written to."
    if not folder.is_dir():
        return f"--json {path}: there is no folder {folder}; create it first or give another file."
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return f"--json {path}: this file cannot be written here; give another file."
    return None


def out_mistake(folder):
    """Why the reports could not go to `folder`, which is created if it does not exist."""
    if folder.exists() and not folder.is_dir():
        return f"--out {folder}: that is a file, not a folder; give a folder for the reports and summary.csv."
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return f"--out {folder}: the folder cannot be created ({error.strerror}); give another folder."
    if not os.access(folder, os.W_OK):
        return f"--out {folder}: this folder cannot be written to; give another folder."
    return None


def grade_single(args, limits):
    try:
        report = grade_notebook(args.notebooks[0], limits)
    except errors.KernelStartFailed as error:  # the grader's own failure: exit status 1, as for a crash of ours
        print(error.sentence(), file=sys.stderr)
        return 1
    except errors.GradingError as error:
        return refuse(error.sentence())
    print(as_text(report))
    if args.json:
        write_json(report, args.json)
    return 0


def grade_several(args, limits):
    found = notebooks_in(args.notebooks)
    if not found:
        return refuse(f"No notebook (.ipynb file) was found in {', '.join(args.notebooks)}.")
    out = Path(args.out or DEFAULT_OUT)
    if mistake := out_mistake(out):
        return refuse(mistake)
    lines = grade_all(found, out, limits, args.jobs)
    print(
        f"{sum(line.status == 'graded' for line in lines)} of {len(lines)} notebooks graded; "
        f"reports and summary.csv in {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
