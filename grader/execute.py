"""Run a student's notebook in a fenced-off IPython kernel and call into it without trusting it.

Student code may loop forever, kill or crash Python, exhaust memory, print gigabytes, leave processes
behind, monkeypatch anything, or print fake results. ``KernelSession`` therefore

* starts a fresh ``python3`` ipykernel per session in a temporary directory, with an address-space limit,
  no core dumps, single-threaded BLAS, the Agg backend and a random token in its environment;
* bounds every cell (interrupt, then restart if the interrupt is ignored) and the notebook as a whole,
  and replaces a kernel that died;
* keeps at most ``Limits.output_chars`` characters of text per cell in the grading process and drops
  everything else as it arrives (images, floods of prints); a hook in the kernel also stops stdout/stderr
  past that cap from being sent at all, so that an accidental flood costs neither process much;
* reads results only from display data of a token-bearing MIME type, and only the payload carrying the
  call's nonce. They are sent by a module, ``sys.modules["_grader_<token>"]``, that a prelude installs
  before any student code runs, holding its own builtins and pristine references to json, base64, numpy
  and IPython's display publisher; the prelude also pins the kernel's message packer to the pristine
  ``json.dumps``, so that ``json.dumps = ...`` in a notebook cannot garble the kernel's messages;
* on exit kills every process whose environment carries the token, and their process groups.

Call recovery: a call that does not finish in time is interrupted; if the kernel is idle again within
``INTERRUPT_GRACE`` seconds the session goes on with the student's definitions intact. Otherwise (the
code swallows KeyboardInterrupt), and when the kernel dies during a call, the kernel is restarted and
the notebook's finished cells are replayed, then the grader's setup (``install``), so that the later
calls find the student's definitions again; only the call that lost the kernel fails. Replays during
calls share one budget, the notebook's time limit: once it is spent, or if a replay loses the kernel
again, every later ``call`` raises ``KernelDied`` naming what the grader was doing when it was lost.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import logging
import os
import resource
import secrets
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from functools import partial
from time import monotonic
from typing import Any

import nbformat
import numpy as np
import psutil
from jupyter_core.utils import ensure_async, run_sync
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_code_cell, new_notebook

from .errors import CallTimeout, KernelDied, NoResult, StudentCodeError, excerpt, one_line

TOKEN_VARIABLE = "GRADER_SESSION_TOKEN"
INTERRUPT_GRACE = 3.0  # seconds an interrupted kernel gets to become idle before it is restarted
PRELUDE_TIMEOUT = 60.0  # importing numpy on a loaded machine
TRUNCATION_NOTE = "\n... output truncated"
KILL_ROUNDS = 10  # scans for token holders; more than one because a process may fork while we kill
ARRAY_DTYPES = (np.dtype(np.float64), np.dtype(np.int64), np.dtype(np.bool_))

_log = logging.getLogger(__name__)
_log.addHandler(logging.NullHandler())  # nbclient reports every expected kernel death at error level

# Installed in the kernel before any student code. It runs in its own namespace with its own copy of
# the builtins, so a student's `len = 3` or `json.dumps = ...` later cannot reach it.
_KERNEL_SIDE = r'''
import base64, io, json, sys, types
import numpy
from IPython import get_ipython
from jupyter_client import session as _session

_dumps, _loads, _b64encode = json.dumps, json.loads, base64.b64encode
_save, _asarray, _BytesIO = numpy.save, numpy.asarray, io.BytesIO
_ndarray, _generic, _int64, _float64 = numpy.ndarray, numpy.generic, numpy.int64, numpy.float64
_json_default, _json_clean = _session.json_default, _session.json_clean
_shell = get_ipython()
_publish = _shell.display_pub.publish
_MIME = "application/x-grader-" + TOKEN + "+json"


def _pack(obj):
    """jupyter_client's json_packer, bound to the pristine json.dumps: patching json must not garble messages."""
    try:
        text = _dumps(obj, default=_json_default, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        text = _dumps(_json_clean(obj), default=_json_default, ensure_ascii=False, allow_nan=False)
    return text.encode("utf8", errors="surrogateescape")


def _unpack(data):
    return _loads(data.decode("utf8", "replace") if isinstance(data, bytes) else data)


_forwarded = {}  # execution (parent msg_id) -> characters of stdout/stderr sent so far


def _trim(msg):
    """IOPub-thread hook: forward at most OUTPUT_CHARS + 1 characters of stdout/stderr per execution.

    One more than the grader keeps, so that it notes the truncation. This spares both processes huge
    messages when a student prints a flood by mistake; the grader's own cap does not rely on it.
    """
    key = msg["parent_header"].get("msg_id")
    sent = _forwarded.get(key, 0)
    text = msg["content"]["text"][: max(0, OUTPUT_CHARS + 1 - sent)]
    _forwarded[key] = sent + len(text)
    msg["content"]["text"] = text  # never None: that would make ipykernel drop other executions' text too
    return msg


def _encode(value):
    if isinstance(value, (_ndarray, _generic)):
        array = _asarray(value)
        kind = array.dtype.kind
        target = bool if kind == "b" else _int64 if kind in "iu" else _float64 if kind == "f" else None
        if target is None:
            raise TypeError(f"the grader cannot take numpy values of dtype {array.dtype}")
        buffer = _BytesIO()
        _save(buffer, array.astype(target, casting="safe"), allow_pickle=False)
        return {"__ndarray__": _b64encode(buffer.getvalue()).decode("ascii")}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_encode(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _encode(item) for key, item in value.items()}
    raise TypeError(f"the grader cannot take values of type {type(value).__name__}")


def _describe(error):
    try:
        return str(error)[:500]
    except BaseException:
        return "<exception without a printable message>"


def send(message):
    """Publish a dict of arrays, numbers, strings, None and lists of those on the grader's channel."""
    _publish({_MIME: _dumps(_encode(message))}, {})


def call(code, nonce):
    """Run grader code (it sets `result`) on a copy of the student's namespace; always answer once."""
    try:
        scope = dict(_shell.user_ns)
        exec(code, scope)
        message = {"ok": True, "result": _encode(scope.get("result"))}  # missing: the grader's mistake
    except BaseException as error:
        message = {"ok": False, "ename": type(error).__name__, "evalue": _describe(error)}
    send({"nonce": nonce, **message})


_shell.kernel.session.pack, _shell.kernel.session.unpack = _pack, _unpack
for _stream in (sys.stdout, sys.stderr):  # hooks are per thread; they must be registered on the IOPub thread
    _stream.pub_thread.schedule(lambda stream=_stream: stream.register_hook(_trim))
# A module rather than names in the notebook's namespace, which %reset or `del` would take away.
_channel = types.ModuleType("_grader_" + TOKEN)
_channel.send, _channel.call = send, call
sys.modules[_channel.__name__] = _channel
'''


@dataclass(frozen=True)
class Limits:
    cell_timeout: float = 120.0  # seconds per cell
    notebook_timeout: float = 1200.0  # whole notebook bound; cells after it are recorded as skipped
    memory_bytes: int = 4 << 30  # RLIMIT_AS of the kernel
    output_chars: int = 20_000  # per-cell stored output cap (text kept per cell), grader side


@dataclass(frozen=True)
class CellRun:
    index: int  # index in nb.cells
    source: str
    outcome: str  # "ok" | "error" | "timeout" | "kernel_died" | "skipped"
    error: str | None  # one line: "ZeroDivisionError: division by zero" / "timed out after 120 s" / ...
    seconds: float
    output_excerpt: str  # capped text of the cell's stream/text outputs (for showing the student)


@dataclass(frozen=True)
class _Execution:
    """How one execution in the kernel ended."""

    outcome: str  # as in CellRun, never "skipped"
    error: str | None
    seconds: float
    output: str
    payload: dict[str, Any] | None  # the grader-channel message carrying the expected nonce
    kernel_lost: bool  # the kernel died or ignored the interrupt: it must be replaced


@dataclass
class _CappedText:
    """Text kept up to a limit; the rest is dropped as it arrives, so a flood of output costs no memory."""

    limit: int
    parts: list[str] = field(default_factory=list)
    size: int = 0
    truncated: bool = False

    def add(self, text: object) -> None:
        if not isinstance(text, str):
            return
        room = self.limit - self.size
        if len(text) > room:
            text, self.truncated = text[:room], True
        self.parts.append(text)
        self.size += len(text)

    def text(self) -> str:
        return "".join(self.parts) + (TRUNCATION_NOTE if self.truncated else "")


class _Timeout(Exception):
    """The execution ran out of time; ``stopped`` says whether the interrupt brought the kernel back."""

    def __init__(self, seconds: float, stopped: bool) -> None:
        super().__init__(seconds, stopped)
        self.seconds, self.stopped = seconds, stopped


class _Client(NotebookClient):
    """nbclient that keeps only capped text and grader payloads, and whose timeouts cannot hang.

    nbclient's own timeout handling re-interrupts forever when a cell swallows KeyboardInterrupt, and
    stores every output in the notebook; the overrides below replace both. ``_async_handle_timeout`` is
    a private hook of nbclient (checked against 0.11): the tests fail if its contract changes.
    """

    def __init__(self, token: str, output_chars: int) -> None:
        super().__init__(
            new_notebook(),
            kernel_name="python3",
            allow_errors=True,
            record_timing=False,
            store_widget_state=False,
            timeout_func=lambda _cell: self._seconds,
            log=_log,
        )
        self._mime = f"application/x-grader-{token}+json"
        self._output_chars = output_chars
        self._seconds = 0.0
        self._nonce: str | None = None
        self._text = _CappedText(output_chars)
        self._payload: dict[str, Any] | None = None
        self._reply: dict[str, Any] | None = None
        self._idle = asyncio.Event()
        self.on_cell_executed = self._keep_reply

    async def async_run(
        self, source: str, seconds: float, *, nonce: str | None = None, store_history: bool = False
    ) -> _Execution:
        """Run ``source`` as one cell in the kernel and report how it ended instead of raising."""
        cell = new_code_cell(source)
        self.nb.cells = [cell]
        self._seconds, self._nonce = max(seconds, 0.001), nonce  # nbclient reads 0 as "no limit"
        self._text, self._payload, self._reply = _CappedText(self._output_chars), None, None
        self._idle = asyncio.Event()
        tasks_before = asyncio.all_tasks()
        start = monotonic()
        try:
            await self.async_execute_cell(cell, 0, store_history=store_history)
            outcome, error = self._judge_reply()
            lost = outcome == "kernel_died"
        except _Timeout as timeout:
            outcome, lost = "timeout", not timeout.stopped
            error = f"timed out after {timeout.seconds:g} s"
            if not timeout.stopped:
                error += " and ignored the interrupt"
        except DeadKernelError:
            outcome, lost = "kernel_died", True
            error = f"Python stopped ({_exit_description(await ensure_async(self.km.provisioner.poll()))})"
        except Exception as broken:  # unreadable messages: the student broke the kernel's internals
            _log.warning("kernel sent unusable messages: %r", broken)
            outcome, lost = "kernel_died", True
            error = f"Python stopped answering properly ({type(broken).__name__})"
        finally:
            leftovers = asyncio.all_tasks() - tasks_before  # nbclient's pollers, when it raised midway
            for task in leftovers:
                task.cancel()
            await asyncio.gather(*leftovers, return_exceptions=True)
        if lost:
            error += "; Python was restarted and the cells that had finished were run again"
        return _Execution(outcome, error, monotonic() - start, self._text.text(), self._payload, lost)

    def _keep_reply(self, cell: Any, cell_index: int, execute_reply: dict[str, Any]) -> None:
        self._reply = execute_reply

    def _judge_reply(self) -> tuple[str, str | None]:
        content = (self._reply or {}).get("content", {})
        payloads = content.get("payload") if isinstance(content.get("payload"), list) else []
        if any(isinstance(p, dict) and p.get("source") == "ask_exit" and not p.get("keepkernel") for p in payloads):
            return "kernel_died", "Python was told to exit (exit() or quit())"  # it is about to; replace it now
        if content.get("status") == "ok":
            return "ok", None
        if content.get("status") == "error":
            ename, evalue = content.get("ename"), content.get("evalue")
            return "error", one_line(f"{ename}: {evalue}" if evalue else str(ename))
        return "error", f"the kernel answered {content.get('status')!r}"

    def process_message(self, msg: dict[str, Any], cell: Any, cell_index: int) -> Any:
        if msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle":
            self._idle.set()
        return super().process_message(msg, cell, cell_index)

    def output(self, outs: list[Any], msg: dict[str, Any], display_id: str | None, cell_index: int) -> None:
        """Where nbclient would append an output: keep capped text and the grader payload, drop the rest."""
        content = msg["content"]
        if msg["msg_type"] == "stream":
            self._text.add(content.get("text"))
        elif msg["msg_type"] in ("display_data", "execute_result") and isinstance(content.get("data"), dict):
            data = content["data"]
            if self._mime in data:
                self._accept(data[self._mime])
            else:
                self._text.add(data.get("text/plain"))
        return None

    def _accept(self, raw: object) -> None:
        """Keep a payload only if it answers the current call: it must carry the call's nonce."""
        if self._nonce is None or not isinstance(raw, str):
            return
        try:
            payload = json.loads(raw)
        except (ValueError, RecursionError):
            return
        if isinstance(payload, dict) and payload.get("nonce") == self._nonce:
            self._payload = payload

    async def _async_handle_timeout(self, timeout: int, cell: Any = None) -> None:
        """Interrupt once; a kernel that is not idle soon after (it swallows KeyboardInterrupt) is given up."""
        await ensure_async(self.km.interrupt_kernel())
        try:
            await asyncio.wait_for(self._idle.wait(), INTERRUPT_GRACE)
        except asyncio.TimeoutError:
            raise _Timeout(timeout, stopped=False) from None
        raise _Timeout(timeout, stopped=True)


class KernelSession:
    """One fenced-off IPython kernel for one notebook. Use as a context manager."""

    def __init__(self, nb: nbformat.NotebookNode, limits: Limits = Limits()) -> None:
        self.nb, self.limits = nb, limits
        self.token = secrets.token_hex(16)
        self._root: str | None = None
        self._client: _Client | None = None
        self._runs: list[CellRun] = []  # the notebook's cells as first run: what a replay runs again
        self._setup: list[str] = []  # grader code run again after every replay (``install``)
        self._replay_seconds = 0.0  # spent replaying after calls lost the kernel
        self._lost_in: str | None = None  # what the grader was doing when the kernel was lost for good

    def __enter__(self) -> KernelSession:
        self._root = tempfile.mkdtemp(prefix="grader-")
        try:
            workdir = os.path.join(self._root, "work")
            os.mkdir(workdir)
            nbformat.write(self.nb, os.path.join(workdir, "notebook.ipynb"))
            self._client = _Client(self.token, self.limits.output_chars)
            run_sync(self._async_start)(workdir)
        except BaseException:
            self.__exit__(None, None, None)
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

    def install(self, code: str, what: str) -> dict[str, object]:
        """``call`` grader setup code, now and again after every replay."""
        result = self.call(code, what=what)
        self._setup.append(code)
        return result

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
            result = _decode(run.payload["result"])
        except Exception:  # hostile bytes make numpy's header parser raise nearly anything (TokenError, ...)
            raise NoResult(what) from None
        if not isinstance(result, dict):
            raise NoResult(what)
        return result

    def _execute_call(self, code: str, timeout: float) -> _Execution:
        nonce = secrets.token_hex(16)
        source = f"__import__('_grader_{self.token}').call({code!r}, {nonce!r})"
        return run_sync(self._async_execute)(source, timeout, nonce=nonce)

    def _recover(self, what: str) -> bool:
        """In the kernel that replaced a lost one, replay the notebook and the grader's setup within what is left of
        the replay budget; whether that worked. If not, the session is lost for every later call."""
        start = monotonic()
        deadline = start + self.limits.notebook_timeout - self._replay_seconds
        replayed = run_sync(self._async_replay)(self._runs, deadline)
        for code in self._setup if replayed else []:
            run = self._execute_call(code, PRELUDE_TIMEOUT)
            if run.kernel_lost or (run.payload or {}).get("ok") is not True:
                replayed = False
                break
        self._replay_seconds += monotonic() - start
        if not replayed or self._replay_seconds >= self.limits.notebook_timeout:
            self._lost_in = what
        return self._lost_in is None

    async def _async_start(self, workdir: str) -> None:
        client = self._client
        client.km = client.create_kernel_manager()
        await client.async_start_new_kernel(
            cwd=workdir,
            env=self._kernel_environment(),
            preexec_fn=partial(_limit_kernel, self.limits.memory_bytes),
            stdout=subprocess.DEVNULL,  # output written to the kernel's own fds must not reach the grader's
            stderr=subprocess.DEVNULL,
        )
        await client.async_start_new_kernel_client()
        await self._async_prelude()

    def _kernel_environment(self) -> dict[str, str]:
        return {
            **os.environ,
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
        namespace = (
            f"{{'__builtins__': dict(vars(__import__('builtins'))), "
            f"'TOKEN': {self.token!r}, 'OUTPUT_CHARS': {self.limits.output_chars!r}}}"
        )
        run = await self._client.async_run(f"exec({_KERNEL_SIDE!r}, {namespace})", PRELUDE_TIMEOUT)
        if run.outcome != "ok":
            raise RuntimeError(f"the grader's prelude failed in the kernel: {run.error}")

    async def _async_run_notebook(self) -> list[CellRun]:
        deadline = monotonic() + self.limits.notebook_timeout
        runs = []
        for index, cell in enumerate(self.nb.cells):
            if cell.cell_type != "code":
                continue
            remaining = deadline - monotonic()
            if remaining <= 0:
                error = f"not run: the notebook's time limit of {self.limits.notebook_timeout:g} s was used up"
                runs.append(CellRun(index, cell.source, "skipped", error, 0.0, ""))
                continue
            seconds = min(self.limits.cell_timeout, remaining)
            run = await self._async_execute(cell.source, seconds, store_history=True)
            error = run.error
            if run.outcome == "timeout" and seconds < self.limits.cell_timeout:
                error = f"stopped at the notebook's time limit of {self.limits.notebook_timeout:g} s"
            runs.append(CellRun(index, cell.source, run.outcome, error, run.seconds, run.output))
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

    async def _async_execute(self, source: str, seconds: float, **options: Any) -> _Execution:
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


def kill_token_holders(variable: str, token: str) -> None:
    """SIGKILL every process whose environment has ``variable`` set to ``token``, and its process group.

    The process group catches children that dropped the variable; the token catches children that
    left the group (setsid, double fork). Scans repeat because a process may fork while we kill.
    """
    own_group = os.getpgrp()
    for _ in range(KILL_ROUNDS):
        holders = [process for process in psutil.process_iter() if _carries(process, variable, token)]
        if not holders:
            return
        for process in holders:
            with contextlib.suppress(OSError):  # the group first: once the process is reaped it is unknown
                group = os.getpgid(process.pid)
                if group not in (own_group, 0, 1):
                    os.killpg(group, signal.SIGKILL)
            with contextlib.suppress(psutil.Error):
                process.kill()
        psutil.wait_procs(holders, timeout=1.0)
    _log.warning("processes carrying %s=%s survived %d kill rounds", variable, token, KILL_ROUNDS)


def _carries(process: psutil.Process, variable: str, token: str) -> bool:
    with contextlib.suppress(psutil.Error):
        return process.environ().get(variable) == token
    return False


def _exit_description(code: int | None) -> str:
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


def _decode(value: object) -> object:
    """Inverse of the kernel side's ``_encode``; arrays are read without pickle, in allowed dtypes only."""
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if isinstance(value, dict):
        if value.keys() == {"__ndarray__"}:
            array = np.load(io.BytesIO(base64.b64decode(value["__ndarray__"], validate=True)), allow_pickle=False)
            if array.dtype not in ARRAY_DTYPES:
                raise ValueError(f"unexpected dtype {array.dtype}")
            return array
        return {key: _decode(item) for key, item in value.items()}
    return value
