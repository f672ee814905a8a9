"""Helpers for the grader's tests: small notebooks built from the solution, graded in a real kernel; kernels started
through the sandbox, and attacks run in them."""

import contextlib
import dataclasses
import os
import subprocess
import threading
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from jupyter_client import BlockingKernelClient, KernelManager
from nbformat.v4 import new_code_cell, new_notebook

from grader import sandbox
from grader.checks import CHECKS
from grader.execute import KernelSession, Limits
from grader.score import run_checks
from grader.student import Student

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "reference" / "solution.ipynb"
TEMPLATE = ROOT / "reference" / "template.ipynb"
FAST_CHECKS = [c for c in CHECKS if not c.id.endswith(".training")]
ASCENT_IN_GATES = """
def update(self, eta):
    self.W += eta * self.dW
    self.R += eta * self.dR
    self.b += eta * self.db
Gate.update = update
"""  # a later cell with one bug: its notebook's grade shows whether anything else changes it


def solution_code(with_experiments=False):
    """The solution's cells, without the training runs unless asked (they only print results)."""
    notebook = nbformat.read(SOLUTION, as_version=4)
    notebook.cells = [c for c in notebook.cells if with_experiments or "experiment" not in c.metadata.get("tags", [])]
    return notebook


def with_cells(notebook, *sources):
    """The notebook with code cells appended: a student's later cell that changes what came before."""
    notebook = nbformat.from_dict(notebook)
    notebook.cells += [new_code_cell(source) for source in sources]
    return notebook


def write(notebook, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def check_results(notebook, check_ids, limits=Limits(cell_timeout=60)):
    """Run only the named checks on the notebook in a fresh kernel; results by check id."""
    checks = [c for c in CHECKS if c.id in check_ids]
    with KernelSession(notebook, limits) as session:
        session.run_notebook()
        student = Student(session)
        return {r.id: r for r in run_checks(student, student.describe(), checks)}


# ---------------------------------------------------------------- KernelSession on small notebooks (test_execute*)

# Tests that expect no timeout get generous ones: a loaded machine must not turn them into failures.
SMALL = Limits(cell_timeout=30, notebook_timeout=120, memory_bytes=1 << 30, output_chars=2_000)


def notebook(*sources: str, **metadata: object):
    return new_notebook(cells=[new_code_cell(source) for source in sources], metadata=metadata)


def run(nb, limits=SMALL):
    with KernelSession(nb, limits) as session:
        return session.run_notebook()


class PeakRss:
    """Highest resident memory of this (the grading) process while the block runs."""

    def __enter__(self):
        self.start = self.peak = psutil.Process().memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, psutil.Process().memory_info().rss)

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()

    @property
    def growth(self) -> int:
        return self.peak - self.start


# ---------------------------------------------------------------- kernels started through the sandbox (test_sandbox*)

PROJECT = Path(sandbox.__file__).resolve().parents[1]
LIMITS = sandbox.KernelLimits(memory_bytes=2 << 30, cpu_seconds=120, processes=64, open_files=256, file_bytes=16 << 20)
KERNEL_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2", "MPLBACKEND": "Agg"}

needs_bubblewrap = pytest.mark.skipif(
    os.geteuid() != 0 and not sandbox.protection().namespaces, reason=sandbox.protection().notice
)

WRITE = """
try:
    with open({path!r}, "w") as file:
        file.write("written by the student")
    print("written")
except OSError as error:
    print("refused:", type(error).__name__)
"""
READ = """
for path in {paths!r}:
    try:
        print(path, len(open(path, "rb").read()), "bytes read")
    except OSError as error:
        print(path, "refused:", type(error).__name__)
"""
IMPORT = """
for name in ("grader", "reference", "submissions"):
    try:
        __import__(name)
        print(name, "imported")
    except ImportError as error:
        print(name, "refused:", type(error).__name__)
"""
CONNECT = """
import socket
for address in [("127.0.0.1", {port}), ("1.1.1.1", 53)]:
    try:
        socket.create_connection(address, timeout=3).close()
        print(address, "connected")
    except OSError as error:
        print(address, "refused:", error)
"""


@dataclasses.dataclass
class Kernel:
    km: KernelManager
    kc: BlockingKernelClient
    launch: sandbox.KernelLaunch

    def run(self, code: str, timeout: float = 60) -> str:
        """Execute ``code``; everything it printed, and its error as "ENAME: evalue"."""
        texts = []

        def keep(msg):
            if msg["msg_type"] == "stream":
                texts.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                texts.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")

        self.kc.execute_interactive(code, timeout=timeout, output_hook=keep)
        return "".join(texts)

    def processes(self) -> list[psutil.Process]:
        """The sandbox's processes: every orphan in a PID namespace is adopted by its init, inside bwrap's tree."""
        found = {}
        with contextlib.suppress(psutil.NoSuchProcess):  # bwrap has exited: its namespace is gone
            root = psutil.Process(self.km.provisioner.pid)
            found = {p.pid: p for p in [root, *root.children(recursive=True)]}
        uid = self.launch.protection.uid
        for process in psutil.process_iter(["uids"]) if uid is not None else ():  # as root: the kernel's uid too
            if process.info["uids"] and process.info["uids"].real == uid:
                found.setdefault(process.pid, process)
        return list(found.values())


def start(workdir: Path, limits: sandbox.KernelLimits = LIMITS) -> Kernel:
    """A kernel started through the sandbox the way execute.py will start it, and its client's channels."""
    workdir.mkdir(exist_ok=True)
    launch = sandbox.prepare(str(workdir), limits)
    km = KernelManager(kernel_name="python3")
    sandbox.apply(launch, km)
    env = {**os.environ, **KERNEL_ENV, **launch.env}
    km.start_kernel(cwd=str(workdir), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kernel = Kernel(km, km.client(), launch)
    kernel.kc.start_channels()
    return kernel


@contextlib.contextmanager
def sandboxed_kernel(workdir: Path, limits: sandbox.KernelLimits = LIMITS):
    """A sandboxed kernel, ready; after the block it is shut down and proven gone with everything it started."""
    kernel = start(workdir, limits)
    try:
        kernel.kc.wait_for_ready(timeout=120)
        yield kernel
    finally:
        processes = kernel.processes()
        kernel.kc.stop_channels()
        kernel.km.shutdown_kernel(now=True)
    survivors = [p for p in processes if not gone(p)]
    assert not survivors, f"left behind after shutdown: {survivors}"


def gone(process: psutil.Process, seconds: float = 10) -> bool:
    """Whether ``process`` has ended (a zombie has) within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False
