"""`grade NOTEBOOK [--json FILE]`: grade one notebook and say why; `grade FOLDER ... [--out DIR]`: grade them all."""
import argparse
import os
import signal
import sys
from pathlib import Path

from . import errors
from .batch import grade_all
from .execute import Limits
from .pipeline import grade_notebook
from .report import as_text, write_json


def main(argv=None):
    parser = argparse.ArgumentParser(prog="grade", description="Grade LSTM assignment notebooks.")
    parser.add_argument("notebooks", nargs="+", metavar="NOTEBOOK",
                        help="a notebook; several, or a folder: each graded in its own process (see --out)")
    parser.add_argument("--json", metavar="FILE", help="one notebook: also write the result as JSON")
    parser.add_argument("--out", metavar="DIR", default="grades",
                        help="several notebooks: where NAME.json, NAME.txt and summary.csv go (default: grades)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="several notebooks: how many at once")
    parser.add_argument("--cell-timeout", type=float, default=Limits.cell_timeout, help="seconds per cell")
    parser.add_argument("--notebook-timeout", type=float, default=Limits.notebook_timeout,
                        help="seconds for the whole notebook's cells")
    parser.add_argument("--memory", type=float, default=Limits.memory_bytes / 2**30, help="kernel memory limit, GiB")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="for debugging: run the notebook's kernel as yourself, with resource limits only")
    args = parser.parse_args(argv)
    # A terminated grader still leaves through the sessions' __exit__, which ends the kernel and its children.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    limits = Limits(cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout,
                    memory_bytes=int(args.memory * 2**30), sandbox=not args.no_sandbox)
    if len(args.notebooks) > 1 or Path(args.notebooks[0]).is_dir():
        lines = grade_all(args.notebooks, args.out, limits, args.jobs)
        if not lines:
            print(f"No notebook (.ipynb file) was found in {', '.join(args.notebooks)}.", file=sys.stderr)
            return 2
        print(f"{sum(line.status == 'graded' for line in lines)} of {len(lines)} notebooks graded; "
              f"reports and summary.csv in {args.out}")
        return 0
    try:
        report = grade_notebook(args.notebooks[0], limits)
    except errors.GradingError as error:
        print(error.sentence(), file=sys.stderr)
        return 2
    print(as_text(report))
    if args.json:
        write_json(report, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
