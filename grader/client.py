"""nbclient, narrowed to what grading needs: one execution at a time, capped text, the grader's answers, and
timeouts that cannot hang.

nbclient's own timeout handling re-interrupts forever when a cell swallows KeyboardInterrupt, and stores every
output in the notebook; ``Client`` replaces both. An execution never raises: it ends as an ``Execution`` record
that says how (ok, error, timeout, kernel died) and whether the kernel must be replaced.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import signal
from dataclasses import dataclass
from time import monotonic
from typing import Any

from jupyter_core.utils import ensure_async
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_code_cell, new_notebook

from . import kernel
from .errors import one_line
from .output import CappedText, display_text

INTERRUPT_GRACE = 3.0  # seconds an interrupted kernel gets to become idle before it is restarted
CELL_FRAME = re.compile(r"Cell In\[(\d+)\], line (\d+)")
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")

_log = logging.getLogger("grader.execute")
_log.addHandler(logging.NullHandler())  # nbclient reports every expected kernel death at error level


@dataclass(frozen=True)
class Execution:
    """How one execution in the kernel ended."""

    outcome: str  # as in CellRun, never "skipped"
    error: str | None
    seconds: float
    output: str
    payload: dict[str, Any] | None  # the grader-channel message carrying the expected nonce
    kernel_lost: bool  # the kernel died or ignored the interrupt: it must be replaced
    line: int | None = None  # for an error: the line of the executed source it came out of, when the traceback says


class Timeout(Exception):
    """The execution ran out of time; ``stopped`` says whether the interrupt brought the kernel back."""

    def __init__(self, seconds: float, stopped: bool) -> None:
        super().__init__(seconds, stopped)
        self.seconds, self.stopped = seconds, stopped


class Client(NotebookClient):
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
        self._mime = kernel.mime_type(token)
        self._output_chars = output_chars
        self._seconds = 0.0
        self._nonce: str | None = None
        self._text = CappedText(output_chars)
        self._payload: dict[str, Any] | None = None
        self._reply: dict[str, Any] | None = None
        self._idle = asyncio.Event()
        self.on_cell_executed = self._keep_reply

    async def async_run(
        self, source: str, seconds: float, *, nonce: str | None = None, store_history: bool = False
    ) -> Execution:
        """Run ``source`` as one cell in the kernel and report how it ended instead of raising."""
        cell = new_code_cell(source)
        self.nb.cells = [cell]
        self._seconds, self._nonce = max(seconds, 0.001), nonce  # nbclient reads 0 as "no limit"
        self._text, self._payload, self._reply = CappedText(self._output_chars), None, None
        self._idle = asyncio.Event()
        tasks_before = asyncio.all_tasks()
        start = monotonic()
        try:
            await self.async_execute_cell(cell, 0, store_history=store_history)
            outcome, error = self._judge_reply()
            lost = outcome == "kernel_died"
        except Timeout as timeout:
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
        line = _error_line((self._reply or {}).get("content", {})) if outcome == "error" else None
        return Execution(outcome, error, monotonic() - start, self._text.text(), self._payload, lost, line)

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
            elif (text := display_text(data)) is not None:
                self._text.add_block(text)
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
        except TimeoutError:
            raise Timeout(timeout, stopped=False) from None
        raise Timeout(timeout, stopped=True)


def _error_line(content: dict[str, Any]) -> int | None:
    """The line of the executed cell an error came out of, from IPython's traceback ("Cell In[7], line 3" heads each
    frame in a cell): the innermost frame of this execution's own cell, the line a student looks at."""
    text = ANSI_ESCAPE.sub("", "\n".join(t for t in content.get("traceback") or [] if isinstance(t, str)))
    lines = [int(line) for count, line in CELL_FRAME.findall(text) if int(count) == content.get("execution_count")]
    return lines[-1] if lines else None


def _exit_description(code: int | None) -> str:
    """How the kernel's process ended: a negative code is a signal; so is 128 + n, as the sandbox's init reports it."""
    signalled = -code if code is not None and code < 0 else code - 128 if code is not None and code > 128 else None
    with contextlib.suppress(ValueError, TypeError):
        return f"killed by {signal.Signals(signalled).name}"
    return f"exit code {code}"
