"""Run a student's notebook in a fenced-off IPython kernel and call into it without trusting it.

Student code may loop forever, kill or crash Python, exhaust memory, print gigabytes, leave processes
behind, monkeypatch anything, or print fake results. ``KernelSession`` therefore

* starts a fresh ipykernel per session in a temporary directory, inside the sandbox of ``grader.sandbox`` (a uid
  of its own, no network, a filesystem view without the grader, the solution or other notebooks, resource
  limits), with single-threaded BLAS, the Agg backend and a random token in an environment of its own;
* bounds every cell (interrupt, then restart if the interrupt is ignored) and the notebook as a whole,
  and replaces a kernel that died;
* keeps at most ``Limits.output_chars`` characters of text per cell in the grading process, its beginning and its
  end, and drops everything else as it arrives (images, the middle of a flood of prints); a hook in the kernel
  also stops stdout/stderr past that cap from being sent at all, but for its end, so that an accidental flood
  costs neither process much;
* installs the grader's kernel package (``grader.kernel``) before any student code runs, and reads results
  only from display data of its token-bearing MIME type, and only the payload carrying the call's nonce;
* on exit kills every process whose environment carries the token, and their process groups.

Call recovery: a call that does not finish in time is interrupted; if the kernel is idle again within
``INTERRUPT_GRACE`` seconds the session goes on with the student's definitions intact. Otherwise (the
code swallows KeyboardInterrupt), and when the kernel dies during a call, the kernel is restarted and
the notebook's finished cells are replayed, so that the later calls find the student's definitions again;
only the call that lost the kernel fails. Replays during calls share one budget, the notebook's time limit:
once it is spent, or if a replay loses the kernel again, every later ``call`` raises ``KernelDied`` naming what
the grader was doing when it was lost.
"""

from __future__ import annotations

import os
import resource
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import partial
from time import monotonic
from typing import Any

import nbformat
from jupyter_core.utils import ensure_async, run_sync

from . import kernel, sandbox
from .client import Client, Execution
from .errors import (
    CallTimeout,
    GradingError,
    KernelDied,
    KernelStartFailed,
    NoResult,
    StudentCodeError,
    excerpt,
    one_line,
)
from .kernel import codec
from .processes import kill_token_holders

PASSED_ENVIRONMENT = ("PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ", "TERM")

TOKEN_VARIABLE = "GRADER_SESSION_TOKEN"
PRELUDE_TIMEOUT = 60.0  # importing numpy on a loaded machine


@dataclass(frozen=True)
class Limits:
    cell_timeout: float = 120.0  # seconds per cell
    notebook_timeout: float = 1200.0  # whole notebook bound; cells after it are recorded as skipped
    memory_bytes: int = 4 << 30  # RLIMIT_AS of the kernel
    output_chars: int = 20_000  # per-cell stored output cap (text kept per cell), grader side
    sandbox: bool = True  # False (--no-sandbox, for debugging): the kernel runs as the grader, with limits only


@dataclass(frozen=True)
class CellRun:
    index: int  # index in nb.cells
    source: str
    outcome: str  # "ok" | "error" | "timeout" | "kernel_died" | "skipped"
    error: str | None  # one line: "ZeroDivisionError: division by zero" / "timed out after 120 s" / ...
    seconds: float
    output_excerpt: str  # capped text of the cell's stream/text outputs (for showing the student)
    number: int  # among the code cells, from 1: the student's In [n] after Restart & Run All
    line: int | None  # for an error: the line of the cell it came out of, when known


class KernelSession:
    """One fenced-off IPython kernel for one notebook. Use as a context manager."""

    def __init__(self, nb: nbformat.NotebookNode, limits: Limits = Limits()) -> None:
        self.nb, self.limits = nb, limits
        self.token = secrets.token_hex(16)
        self.package = kernel.package_name(self.token)  # the grader's package in the kernel
        self._root: str | None = None
        self._client: Client | None = None
        self._runs: list[CellRun] = []  # the notebook's cells as first run: what a replay runs again
        self._replay_seconds = 0.0  # spent replaying after calls lost the kernel
        self._lost_in: str | None = None  # what the grader was doing when the kernel was lost for good
        self.isolation = ""  # "" or a sentence saying what the student's kernel was not isolated from

    def __enter__(self) -> KernelSession:
        self._root = tempfile.mkdtemp(prefix="grader-")
        try:
            workdir = os.path.join(self._root, "work")
            os.mkdir(workdir)
            nbformat.write(self.nb, os.path.join(workdir, "notebook.ipynb"))
            self._client = Client(self.token, self.limits.output_chars)
            run_sync(self._async_start)(workdir)
        except BaseException as error:
            self.__exit__(None, None, None)
            if isinstance(error, Exception) and not isinstance(error, GradingError):
                raise KernelStartFailed(one_line(f"{type(error).__name__}: {error}", 200)) from error
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            kill_token_holders(TOKEN_VARIABLE, self.token)
            if self._client is not None and self._client.km is not None:
                run_sync(self._async_close)()
        finally:
            shutil.rmtree(self._root, ignore_errors=True)

    def run_notebook(self) -> list[CellRun]:
        """Run every code cell in order; failures are recorded and execution goes on."""
        self._runs = run_sync(self._async_run_notebook)()
        return self._runs

    def call(self, code: str, timeout: float = 60.0, what: str | None = None) -> dict[str, object]:
        """Run grader ``code``, which must assign a dict to ``result``, against the student's definitions.

        ``code`` sees (a copy of) the notebook's namespace; its own assignments do not leak into it.
        Returns the decoded ``result`` (numpy arrays come back as float64/int64/bool arrays). ``what``
        completes "while the grader was ..." in messages to students ("running LSTM.forward"); it defaults
        to the code.
        """
        compile(code, "<grader call>", "exec")  # a mistake in grader code must not be blamed on the student
        what = what or f"running `{excerpt(code)}`"
        if self._lost_in is not None:
            raise KernelDied(self._lost_in, recovered=False)
        run = self._execute_call(code, timeout)
        recovered = run.kernel_lost and self._recover(what)
        if run.outcome == "timeout":
            raise CallTimeout(timeout, what)
        if run.outcome == "kernel_died":
            raise KernelDied(what, recovered)
        if run.payload is None:
            raise NoResult(what)
        if run.payload.get("ok") is not True:
            raise StudentCodeError(str(run.payload.get("ename")), str(run.payload.get("evalue")), what)
        try:
            result = codec.decode(run.payload["result"])
        except Exception:  # hostile bytes make numpy's header parser raise nearly anything (TokenError, ...)
            raise NoResult(what) from None
        if not isinstance(result, dict):
            raise NoResult(what)
        return result

    def _execute_call(self, code: str, timeout: float) -> Execution:
        nonce = secrets.token_hex(16)
        source = f"__import__({self.package!r}).channel.call({code!r}, {nonce!r})"
        return run_sync(self._async_execute)(source, timeout, nonce=nonce)

    def _recover(self, what: str) -> bool:
        """In the kernel that replaced a lost one, replay the notebook within what is left of the replay budget;
        whether that worked. If not, the session is lost for every later call."""
        start = monotonic()
        deadline = start + self.limits.notebook_timeout - self._replay_seconds
        replayed = run_sync(self._async_replay)(self._runs, deadline)
        self._replay_seconds += monotonic() - start
        if not replayed or self._replay_seconds >= self.limits.notebook_timeout:
            self._lost_in = what
        return self._lost_in is None

    async def _async_start(self, workdir: str) -> None:
        client = self._client
        client.km = client.create_kernel_manager()
        options = {"env": self._kernel_environment()}
        if self.limits.sandbox:
            launch = sandbox.prepare(workdir, sandbox.KernelLimits(memory_bytes=self.limits.memory_bytes))
            sandbox.apply(launch, client.km)
            options["env"] |= launch.env
            self.isolation = launch.protection.notice
        else:
            options["preexec_fn"] = partial(_limit_kernel, self.limits.memory_bytes)
            self.isolation = "graded without the sandbox (--no-sandbox): the notebook ran as the grader's own user"
        await client.async_start_new_kernel(
            cwd=workdir,
            stdout=subprocess.DEVNULL,  # output written to the kernel's own fds must not reach the grader's
            stderr=subprocess.DEVNULL,
            **options,
        )
        await client.async_start_new_kernel_client()
        await self._async_prelude()

    def _kernel_environment(self) -> dict[str, str]:
        """The kernel's environment: what a Python program needs and the grader's own settings, none of the grader's
        other variables (they may hold secrets); GRADER_* tokens let whatever the notebook starts be found later."""
        passed = {k: v for k, v in os.environ.items() if k in PASSED_ENVIRONMENT or k.startswith("GRADER_")}
        return {
            **passed,
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "MPLBACKEND": "Agg",
            # Two malloc arenas instead of one per thread: keeps unused reservations (~0.5 GiB) out of RLIMIT_AS.
            "MALLOC_ARENA_MAX": "2",
            # A fresh IPython profile: no startup scripts or settings from earlier sessions or the host.
            "IPYTHONDIR": os.path.join(self._root, "ipython"),
            TOKEN_VARIABLE: self.token,
        }

    async def _async_prelude(self) -> None:
        source = kernel.installer(self.token, self.limits.output_chars)
        run = await self._client.async_run(f"exec({source!r}, {{}})", PRELUDE_TIMEOUT)
        if run.outcome != "ok":
            raise RuntimeError(f"the grader's prelude failed in the kernel: {run.error}")

    async def _async_run_notebook(self) -> list[CellRun]:
        deadline = monotonic() + self.limits.notebook_timeout
        runs = []
        code_cells = [(index, cell) for index, cell in enumerate(self.nb.cells) if cell.cell_type == "code"]
        for number, (index, cell) in enumerate(code_cells, 1):
            remaining = deadline - monotonic()
            if remaining <= 0:
                error = f"not run: the notebook's time limit of {self.limits.notebook_timeout:g} s was used up"
                runs.append(CellRun(index, cell.source, "skipped", error, 0.0, "", number, None))
                continue
            seconds = min(self.limits.cell_timeout, remaining)
            run = await self._async_execute(cell.source, seconds, store_history=True)
            error = run.error
            if run.outcome == "timeout" and seconds < self.limits.cell_timeout:
                error = f"stopped at the notebook's time limit of {self.limits.notebook_timeout:g} s"
            runs.append(CellRun(index, cell.source, run.outcome, error, run.seconds, run.output, number, run.line))
            if run.kernel_lost:
                await self._async_replay(runs, deadline)
        return runs

    async def _async_replay(self, runs: list[CellRun], deadline: float) -> bool:
        """After a restart, run again the cells that had finished, so that their definitions are back for grading;
        whether every one of them ran again before ``deadline`` without losing the kernel.

        Their outcomes stay as first recorded; a replayed cell that times out or loses the kernel ends the replay.
        """
        for earlier in runs:
            if earlier.outcome not in ("ok", "error"):
                continue
            remaining = deadline - monotonic()
            if remaining <= 0:
                return False
            replay = await self._async_execute(earlier.source, min(self.limits.cell_timeout, remaining))
            if replay.kernel_lost or replay.outcome == "timeout":
                return False
        return True

    async def _async_execute(self, source: str, seconds: float, **options: Any) -> Execution:
        run = await self._client.async_run(source, seconds, **options)
        if run.kernel_lost:
            await self._async_restart()
        return run

    async def _async_restart(self) -> None:
        """Replace a dead or hung kernel, and everything it started, by a fresh one with the prelude."""
        kill_token_holders(TOKEN_VARIABLE, self.token)
        await ensure_async(self._client.km.restart_kernel(now=True))
        await ensure_async(self._client.kc.wait_for_ready(timeout=self._client.startup_timeout))
        await self._async_prelude()

    async def _async_close(self) -> None:
        await ensure_async(self._client.km.shutdown_kernel(now=True))  # reaps the kernel, removes its files
        if self._client.kc is not None:
            await ensure_async(self._client.kc.stop_channels())


def _limit_kernel(memory_bytes: int) -> None:
    """Runs in the kernel's process before exec: cap its address space, no core files."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
