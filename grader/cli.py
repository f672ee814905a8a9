"""`grade NOTEBOOK [--json FILE]`: grade one notebook and say why."""
import argparse
import signal
import sys

from . import errors
from .execute import Limits
from .pipeline import grade_notebook
from .report import as_text, write_json


def main(argv=None):
    parser = argparse.ArgumentParser(prog="grade", description="Grade an LSTM assignment notebook.")
    parser.add_argument("notebook")
    parser.add_argument("--json", metavar="FILE", help="also write the result as JSON")
    parser.add_argument("--cell-timeout", type=float, default=Limits.cell_timeout, help="seconds per cell")
    parser.add_argument("--notebook-timeout", type=float, default=Limits.notebook_timeout,
                        help="seconds for the whole notebook's cells")
    parser.add_argument("--memory", type=float, default=Limits.memory_bytes / 2**30, help="kernel memory limit, GiB")
    args = parser.parse_args(argv)
    # A terminated grader still leaves through the sessions' __exit__, which ends the kernel and its children.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    limits = Limits(cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout,
                    memory_bytes=int(args.memory * 2**30))
    try:
        report = grade_notebook(args.notebook, limits)
    except errors.GradingError as error:
        print(error.sentence(), file=sys.stderr)
        return 2
    print(as_text(report))
    if args.json:
        write_json(report, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
