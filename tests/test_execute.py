"""KernelSession against hostile or broken notebooks: each test fails if the defence it names breaks."""

import contextlib
import os
import secrets
import time
from dataclasses import replace

import psutil
import pytest
from grading import SMALL, PeakRss, notebook, run
from nbformat.v4 import new_markdown_cell

from grader.execute import TOKEN_VARIABLE, KernelSession, Limits
from grader.output import LEFT_OUT


def token_holders(token: str) -> list[int]:
    holders = []
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if process.environ().get(TOKEN_VARIABLE) == token:
                holders.append(process.pid)
    return holders


def gone(pid: int) -> bool:
    with contextlib.suppress(psutil.NoSuchProcess):
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    return True


MIXED = notebook(
    "x = 1\nimport matplotlib\nprint(matplotlib.get_backend())",
    "%matplotlib inline\nimport matplotlib.pyplot as plt\n"
    "plt.plot([1, 2]); plt.show()\nprint(matplotlib.get_backend())",
    "1 / 0",
    "print(x + 1)",
    kernelspec={"name": "no-such-kernel", "display_name": "gone", "language": "python"},
)
MIXED.cells.insert(1, new_markdown_cell("Text cells are not run."))


def test_cells_run_with_magics_errors_are_recorded_and_execution_goes_on_the_same_each_time():
    runs = run(MIXED)
    assert [(r.index, r.outcome) for r in runs] == [(0, "ok"), (2, "ok"), (3, "error"), (4, "ok")]
    assert [(r.number, r.line) for r in runs] == [(1, None), (2, None), (3, 1), (4, None)]  # as the student counts
    assert runs[0].output_excerpt.lower() == "agg\n"  # no window can open
    assert runs[1].output_excerpt.endswith("inline\n")
    assert runs[2].error == "ZeroDivisionError: division by zero"
    assert runs[3].output_excerpt == "2\n"
    again = run(MIXED)
    assert [(r.outcome, r.error, r.output_excerpt) for r in again] == [
        (r.outcome, r.error, r.output_excerpt) for r in runs
    ]


def test_backend_magics_take_no_import_down_and_install_commands_install_nothing():
    runs = run(
        notebook(
            "%matplotlib widget\nimport numpy as np",
            "%matplotlib qt\nimport matplotlib\nprint(np.ones(2).sum(), matplotlib.get_backend())",
            "import sys\n%pip install no-such-package\n!pip install no-such-package\n"
            "!{sys.executable} -m pip install no-such-package\nprint('after')",
            "!echo other shell commands run",
        )
    )
    assert [r.outcome for r in runs] == ["ok"] * 4, [r.error for r in runs]
    assert runs[1].output_excerpt.startswith("2.0") and "inline" in runs[1].output_excerpt  # no window can open
    assert runs[2].output_excerpt.count("The grader installs no packages") == 3
    assert runs[2].output_excerpt.endswith("after\n")
    assert runs[3].output_excerpt == "other shell commands run\n"


# `while True: try: pass except KeyboardInterrupt: pass` is not enough: CPython raises the interrupt at the
# backward jump, outside the try. Here every jump that can raise it is inside the try.
SWALLOW = "while True:\n    try:\n        while True:\n            pass\n    except KeyboardInterrupt:\n        pass"


def test_endless_loops_time_out_and_later_cells_run():
    runs = run(
        notebook(
            "y = 5",
            "while True: pass",
            "print(y)",
            SWALLOW,
            "print('after restart')",
            "print(y)",
        ),
        Limits(cell_timeout=2, memory_bytes=1 << 30),
    )
    assert [r.outcome for r in runs] == ["ok", "timeout", "ok", "timeout", "ok", "ok"]
    assert runs[1].error == "timed out after 2 s"
    assert runs[2].output_excerpt == "5\n"  # interrupted: the kernel kept its state
    assert "restarted" in runs[3].error  # KeyboardInterrupt swallowed: a fresh kernel took over
    assert runs[4].output_excerpt == "after restart\n"
    assert runs[5].output_excerpt == "5\n"  # the cells that had finished were replayed in the fresh kernel


def test_notebook_time_limit_skips_remaining_cells():
    limits = Limits(cell_timeout=3, notebook_timeout=2, memory_bytes=1 << 30)
    runs = run(notebook("import time\ntime.sleep(1)", "time.sleep(5)", "print('late')"), limits)
    assert [r.outcome for r in runs] == ["ok", "timeout", "skipped"]
    assert "notebook's time limit" in runs[1].error and "notebook's time limit" in runs[2].error


def test_deaths_and_memory_errors_are_recorded_and_a_fresh_limited_kernel_runs_the_rest():
    runs = run(
        notebook(
            "import os; os._exit(1)",
            "print('alive')",
            "import ctypes; ctypes.string_at(0)",
            "import resource; print(resource.getrlimit(resource.RLIMIT_AS)[0])",
            "block = bytearray(3 << 30)",
            "exit()",  # the kernel would stop a moment later, during some other cell
            "print('fine')",
        )
    )
    assert [r.outcome for r in runs] == ["kernel_died", "ok", "kernel_died", "ok", "error", "kernel_died", "ok"]
    assert "exit code 1" in runs[0].error and "SIGSEGV" in runs[2].error and "exit()" in runs[5].error
    assert runs[1].output_excerpt == "alive\n"
    assert runs[3].output_excerpt == f"{1 << 30}\n"  # the restarted kernel is limited too
    assert runs[4].error == "MemoryError"
    assert runs[6].output_excerpt == "fine\n"


def test_definitions_made_before_a_death_are_back_after_the_restart():
    with KernelSession(
        notebook("counter = [0]\nclass Gate: pass", "counter[0] += 1", "import os; os._exit(1)", "later = 2"), SMALL
    ) as session:
        runs = session.run_notebook()
        seen = session.call("result = {'gate': 'Gate' in globals(), 'counter': counter[0], 'later': later}")
    assert [r.outcome for r in runs] == ["ok", "ok", "kernel_died", "ok"]
    assert seen == {"gate": True, "counter": 1, "later": 2}  # earlier cells replayed once, after the restart


def test_output_floods_are_capped_in_the_grading_process():
    flood = "for _ in range(20_000): print('x' * 10_000)"  # 200 MB of prints
    # 100 MB of display text: not trimmed in the kernel as stdout is, only by the grader's cap.
    displays = (
        "from IPython.display import display\nfor _ in range(100):\n    display({'text/plain': 'y' * 10**6}, raw=True)"
    )
    limits = Limits(cell_timeout=20, memory_bytes=1 << 30, output_chars=2_000)
    with PeakRss() as rss:
        runs = run(notebook(flood, displays, "print('next')"), limits)
    assert [r.outcome for r in runs] == ["ok", "ok", "ok"]
    for capped in runs[:2]:
        assert len(capped.output_excerpt) <= limits.output_chars + len(LEFT_OUT)
        assert LEFT_OUT in capped.output_excerpt
    assert runs[2].output_excerpt == "next\n"
    assert rss.growth < 200 << 20


def test_output_keeps_its_end_and_reads_as_the_notebook_shows_it():
    limits = Limits(cell_timeout=30, memory_bytes=1 << 30, output_chars=2_000)
    runs = run(
        notebook(
            "for i in range(20_000):\n    print('debug', i, 'x' * 100)\nprint('final accuracy: 0.97')",
            "for p in range(0, 101, 25):\n    print(f'\\r{p:3d}%', end='')\nprint(' done')",  # a progress bar
            "%matplotlib inline\nimport matplotlib.pyplot as plt\nfrom IPython.display import HTML, Markdown, display\n"
            "print('figures:', end='')\nfor i in range(2):\n    plt.plot([i])\n    plt.show()\n"
            "display(HTML('<p><b>accuracy</b> 0.97</p>'))\ndisplay(Markdown('**done**'))",
        ),
        limits,
    )
    flood, bar, displays = (r.output_excerpt for r in runs)
    assert flood.startswith("debug 0 x") and LEFT_OUT in flood and len(flood) <= limits.output_chars + len(LEFT_OUT)
    assert flood.endswith(f"debug 19999 {'x' * 100}\nfinal accuracy: 0.97\n")
    assert bar == "100% done\n"
    assert displays == (
        "figures:\n<Figure size 640x480 with 1 Axes>\n<Figure size 640x480 with 1 Axes>\naccuracy 0.97\n**done**\n"
    )


LEAVE_PROCESSES = """\
import os, subprocess, sys
sleeper = [sys.executable, "-c", "import time; time.sleep(1000)", "{mark}"]
detached = subprocess.Popen(sleeper, start_new_session=True)
# No token, in a detached group whose leader has it: only killing token holders' groups reaches it.
group = subprocess.Popen(["sh", "-c", "env -i " + " ".join(repr(arg) for arg in sleeper) + " & echo $!; wait"],
                         start_new_session=True, stdout=-1)
untokened = int(group.stdout.readline())
child = os.fork()
if child == 0:  # double fork: the grandchild is orphaned in a session of its own
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, sleeper)
    os._exit(0)
os.waitpid(child, 0)
print(os.getcwd(), sorted(name for name in os.listdir() if not name.startswith(".")))
"""


def marked(mark: str) -> list[psutil.Process]:
    """The processes whose command line carries `mark` (their pids inside a sandbox are not the host's)."""
    return [p for p in psutil.process_iter(["cmdline"]) if mark in (p.info["cmdline"] or []) and not gone(p.pid)]


@pytest.mark.parametrize("sandboxed", [True, False])
def test_no_process_and_no_directory_outlive_the_session(sandboxed):
    mark = secrets.token_hex(8)
    with KernelSession(notebook(LEAVE_PROCESSES.format(mark=mark)), replace(SMALL, sandbox=sandboxed)) as session:
        (cell,) = session.run_notebook()
        deadline = time.monotonic() + 30  # the last of them may still be starting
        while len(marked(mark)) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(marked(mark)) == 3, cell  # detached, in a group with an untokened leader, double-forked
        assert os.environ.get(TOKEN_VARIABLE) != session.token
    assert token_holders(session.token) == [] and marked(mark) == []
    workdir, listing = cell.output_excerpt.strip().split(" ", 1)
    assert listing == "['notebook.ipynb']"
    assert not os.path.exists(workdir)
