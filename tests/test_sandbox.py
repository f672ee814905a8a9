"""The kernel sandbox against real attacks: each test starts a kernel through grader.sandbox with jupyter_client, runs
one attack in it and checks, from outside, that it failed. As root (CI) the sandbox must be complete; a user whose
machine cannot run bubblewrap gets the tests that need it skipped. Here: the kernel's identity, other processes and
graders that are not root; files, the project, the network and resource limits are tests/test_sandbox_access.py's.

Run as a script, this file is a probe that runs every attack in one sandboxed kernel as whatever user runs it and
prints what happened as JSON: the non-root tests run it as nobody, the fork bomb test runs it beside a fork bomb,
test_grader_death_kills_the_sandbox uses its "orphan" mode.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from grading import CONNECT, IMPORT, LIMITS, PROJECT, READ, WRITE, gone, needs_bubblewrap, sandboxed_kernel, start

from grader import sandbox

NOBODY = 65534

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become nobody")

KILL_ALL = """
import os
try:
    os.kill(os.getppid(), 9)
    print("parent", os.getppid(), "signalled")
except OSError as error:
    print("parent refused:", type(error).__name__)
visible = sorted(int(name) for name in os.listdir("/proc") if name.isdigit())
print("visible", visible)
for pid in visible:
    if pid != os.getpid():
        try:
            os.kill(pid, 9)
        except OSError:
            pass
try:
    os.kill(-1, 9)  # every process this one may signal, itself excepted
except OSError as error:
    print("kill(-1) refused:", type(error).__name__)
print("survived")
"""
FORK_BOMB = """
import os, time
children = 0
while True:
    try:
        pid = os.fork()
    except OSError as error:
        failure = type(error).__name__
        break
    if pid == 0:
        time.sleep(600)
        os._exit(0)
    children += 1
print(children, failure)
"""
LEAVE_BEHIND = """
import subprocess
subprocess.Popen(["sleep", "600"], start_new_session=True)
subprocess.Popen(["sh", "-c", "sleep 600 &"])  # orphaned: adopted by the sandbox's init
print("started")
"""
IDENTITY = "import os; print(os.getuid(), os.getpid(), os.getcwd(), os.environ['HOME'])"
LIBRARIES = """
import numpy, scipy.linalg, matplotlib
import matplotlib.pyplot as plt
plt.plot(numpy.arange(3), scipy.linalg.expm(numpy.eye(3))[0])
plt.savefig("plot.png")
print(numpy.linalg.solve(numpy.eye(2), [1.0, 2.0]).sum())
"""


def wait_for(get, msg_id: str, msg_type: str) -> dict:
    """The first message of ``msg_type`` answering ``msg_id`` that ``get`` (a client's channel) receives."""
    while True:
        msg = get(timeout=30)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == msg_type:
            return msg


@needs_bubblewrap
def test_kernel_runs_in_its_own_uid_pid_namespace_and_home(tmp_path):
    with sandboxed_kernel(tmp_path / "work") as kernel:
        uid, pid, cwd, home = kernel.run(IDENTITY).split()
    assert kernel.launch.protection.namespaces and kernel.launch.protection.notice == ""
    assert int(uid) == (kernel.launch.protection.uid if os.geteuid() == 0 else os.getuid())
    assert int(pid) == 2  # bwrap's init is 1: the kernel sees no process outside the sandbox
    assert cwd == home == str((tmp_path / "work").resolve())


@needs_bubblewrap
@pytest.mark.slow
def test_numpy_scipy_matplotlib_work(tmp_path):
    with sandboxed_kernel(tmp_path / "work") as kernel:
        assert kernel.run(LIBRARIES, timeout=120).strip() == "3.0"
    assert (tmp_path / "work" / "plot.png").stat().st_size > 0


@needs_bubblewrap
def test_killing_every_visible_process_spares_the_grader_and_its_uid(tmp_path):
    with sandboxed_kernel(tmp_path / "work") as kernel:
        uid = kernel.launch.protection.uid
        as_kernel = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"] if uid is not None else []
        bystander = subprocess.Popen([*as_kernel, "sleep", "60"])  # outside the sandbox, same uid as the kernel
        try:
            printed = kernel.run(KILL_ALL)
            time.sleep(0.5)
            assert bystander.poll() is None, "a process of the kernel's uid outside the sandbox was killed"
        finally:
            bystander.kill()
            bystander.wait()
    assert "survived" in printed and "visible [1, 2]" in printed, printed  # bwrap's init and the kernel


@needs_bubblewrap
def test_processes_left_running_die_with_the_kernel(tmp_path):
    with sandboxed_kernel(tmp_path / "work") as kernel:
        assert kernel.run(LEAVE_BEHIND).strip() == "started"
        time.sleep(0.5)
        assert sum(p.name() == "sleep" for p in kernel.processes()) == 2
    # sandboxed_kernel has checked that none of them is left


@needs_bubblewrap
def test_interrupt_and_restart_work_through_the_sandbox(tmp_path):
    """execute.py interrupts a cell at its timeout and replaces a lost kernel: both must work behind bwrap."""
    with sandboxed_kernel(tmp_path / "work") as kernel:
        kernel.run("x = 1")
        sleeping = kernel.kc.execute("import time\nprint('asleep', flush=True)\ntime.sleep(60)")
        wait_for(kernel.kc.get_iopub_msg, sleeping, "stream")  # ipykernel leaves an earlier interrupt unanswered
        kernel.km.interrupt_kernel()
        assert wait_for(kernel.kc.get_shell_msg, sleeping, "execute_reply")["content"]["ename"] == "KeyboardInterrupt"
        wait_for(kernel.kc.get_iopub_msg, sleeping, "status")  # idle: a request sent before it may be aborted
        assert kernel.run("print(x)").strip() == "1"
        first = kernel.processes()
        kernel.km.restart_kernel(now=True)
        kernel.kc.wait_for_ready(timeout=120)
        assert "NameError" in kernel.run("print(x)")
        assert all(gone(p) for p in first)


@needs_bubblewrap
@pytest.mark.slow
def test_fork_bomb_is_bounded_and_does_not_starve_another_grading(tmp_path):
    with sandboxed_kernel(tmp_path / "work") as kernel:
        children, failure = kernel.run(FORK_BOMB, timeout=120).split()
        assert failure == "BlockingIOError" and 0 < int(children) < LIMITS.processes
        assert len(kernel.processes()) <= LIMITS.processes + 2  # bwrap and its init are not counted
        (tmp_path / "other").mkdir()
        other = probe_as(tmp_path / "other", [])  # another grading process: another uid, its own budget
    if os.geteuid() == 0:
        assert other["identity"].split()[0] != str(kernel.launch.protection.uid)
    assert other["libraries"].strip() == "3.0"


@needs_bubblewrap
def test_grader_death_kills_the_sandbox(tmp_path):
    """A grade process killed mid-notebook (batch's wall-clock bound) takes its kernel's sandbox with it."""
    printed = subprocess.run(
        [sys.executable, __file__, "orphan", str(tmp_path / "work")], capture_output=True, text=True, timeout=120
    ).stdout
    pids = json.loads(printed)
    assert len(pids) >= 3  # bwrap, its init, the kernel
    processes = []
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            processes.append(psutil.Process(pid))
    assert all(gone(p) for p in processes)


@pytest.fixture
def nobody_folder(tmp_path):
    folder = tmp_path / "nobody"
    folder.mkdir()
    os.chown(folder, NOBODY, NOBODY)
    return folder


BECOME_NOBODY = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]


@as_root
@pytest.mark.slow
def test_non_root_grader(nobody_folder):
    """A grader running as nobody, like a student's laptop: bubblewrap makes a user namespace for the kernel.

    Contained there, measured below: the kernel cannot write outside its working folder, cannot read the grader's
    course folder although it belongs to the same uid, cannot import the project, has no network, cannot see or
    kill the grader (same uid, but another PID namespace), and its fork bomb is counted in its own user namespace.
    Not contained: the kernel's uid is the grader's (namespaces stand in for a uid of its own).
    """
    with socket.create_server(("127.0.0.1", 0)) as server:
        result = probe_as(nobody_folder, BECOME_NOBODY, port=server.getsockname()[1])
    assert result["protection"] == {"uid": None, "namespaces": True, "notice": ""}
    assert result["identity"].split()[0] == str(NOBODY)
    assert result["write_tmp"].startswith("refused") and not result["tmp_reached_host"]
    assert result["write_course"].startswith("refused")
    assert "bytes read" not in result["read"] and result["imports"].count("refused") == 3
    assert "connected" not in result["connect"]
    assert "survived" in result["kill_all"] and "visible [1, 2]" in result["kill_all"]
    children, failure = result["fork_bomb"].split()
    assert failure == "BlockingIOError" and int(children) < LIMITS.processes


@as_root
@pytest.mark.slow
def test_non_root_grader_without_bubblewrap(nobody_folder):
    """Nobody on a machine without bubblewrap: a one-line notice, and grading goes on under resource limits.

    Not contained, measured below: the kernel runs as the grader's uid in the grader's namespaces, so it writes to
    /tmp and to the grader's course folder, reads the project and imports it, and reaches the grader's loopback.
    """
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        result = probe_as(nobody_folder, BECOME_NOBODY, port=port, bubblewrap=False)
    notice = result["protection"].pop("notice")
    assert result["protection"] == {"uid": None, "namespaces": False}
    assert "bubblewrap is not installed" in notice and "runs as you" in notice and "\n" not in notice
    uid, pid = result["identity"].split()[:2]
    assert uid == str(NOBODY) and int(pid) > 3
    assert result["write_tmp"].strip() == "written" and result["tmp_reached_host"]
    assert result["write_course"].strip() == "written" and "refused" not in result["read"]
    assert "refused" not in result["imports"].replace("submissions refused", "")  # not a package, even here
    assert f"('127.0.0.1', {port}) connected" in result["connect"]
    assert result["libraries"].strip() == "3.0"


def probe_as(folder: Path, become: list[str], port: int = 9, bubblewrap: bool = True) -> dict[str, object]:
    """Run this file's probe in a process of its own (another pid: another kernel uid), as ``become`` says.

    The grader's Python may lie under a home folder closed to other users (/root/.pyenv): the probe gets a view of
    the machine where that home is an empty folder holding only the Python installation, and ``folder`` as HOME.
    Without ``bubblewrap``, bwrap is not executable there, as on a machine where it is not installed.
    """
    home = Path.home()
    its_home = str(home / "grader")
    view = ["bwrap", "--dev-bind", "/", "/", "--tmpfs", str(home), "--bind", str(folder), its_home]
    if not bubblewrap:
        view += ["--ro-bind", "/dev/null", shutil.which("bwrap")]
    for python in {Path(sys.base_prefix), Path(sys.prefix)}:
        if home in python.parents:  # under the hidden home: bring it back, with open folders above it
            above = [parent for parent in reversed(python.parents) if home in parent.parents]
            view += [arg for parent in above for arg in ("--dir", str(parent))]
            view += ["--ro-bind", str(python), str(python)]
    probe = [sys.executable, __file__, "probe", its_home, str(port)]
    command = [*view, "--setenv", "HOME", its_home, "--", *become, *probe]
    printed = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True).stdout
    return json.loads(printed.splitlines()[-1])


def probe(folder: Path, port: int) -> dict[str, object]:
    """Every attack in one sandboxed kernel, as the user running this; what each printed. Without a sandbox, only
    those that cannot harm the machine: killing every visible process or a fork bomb would."""
    course = folder / "course"
    course.mkdir()
    (course / "other_student.ipynb").write_text("{}")
    in_tmp = Path(f"/tmp/sandbox-probe-{secrets.token_hex(6)}")
    attacks = {
        "identity": IDENTITY,
        "write_tmp": WRITE.format(path=str(in_tmp)),
        "write_course": WRITE.format(path=str(course / "other_student.ipynb")),
        "read": READ.format(paths=[str(course / "other_student.ipynb"), str(PROJECT / "reference" / "lstm.py")]),
        "imports": IMPORT,
        "connect": CONNECT.format(port=port),
        "libraries": LIBRARIES,
        "kill_all": KILL_ALL,
        "fork_bomb": FORK_BOMB,
    }
    if not sandbox.protection().namespaces:
        del attacks["kill_all"], attacks["fork_bomb"]
    with sandboxed_kernel(folder / "work") as kernel:
        result = {name: kernel.run(code, timeout=120) for name, code in attacks.items()}
    result["tmp_reached_host"] = in_tmp.exists()
    in_tmp.unlink(missing_ok=True)
    return {**result, "protection": dataclasses.asdict(kernel.launch.protection)}


def orphan(workdir: Path) -> None:
    """Start a sandboxed kernel, print its processes, and die without shutting it down."""
    kernel = start(workdir)
    kernel.kc.wait_for_ready(timeout=120)
    print(json.dumps([p.pid for p in kernel.processes()]), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    if sys.argv[1] == "probe":
        print(json.dumps(probe(Path(sys.argv[2]), int(sys.argv[3]))))
    else:
        orphan(Path(sys.argv[2]))
