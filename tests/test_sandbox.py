"""The kernel sandbox against real attacks: each test starts a kernel through grader.sandbox with jupyter_client, runs
one attack in it and checks, from outside, that it failed. As root (CI) the sandbox must be complete; a user whose
machine cannot run bubblewrap gets the tests that need it skipped.

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
from jupyter_client import BlockingKernelClient, KernelManager

from grader import sandbox

PROJECT = Path(sandbox.__file__).resolve().parents[1]
LIMITS = sandbox.KernelLimits(memory_bytes=2 << 30, cpu_seconds=120, processes=64, open_files=256, file_bytes=16 << 20)
KERNEL_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2", "MPLBACKEND": "Agg"}
NOBODY = 65534

needs_bubblewrap = pytest.mark.skipif(
    os.geteuid() != 0 and not sandbox.protection().namespaces, reason=sandbox.protection().notice
)
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become nobody")

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
@pytest.mark.parametrize("where", ["home", "tmp", "project", "course"])
def test_writing_outside_the_working_folder_fails(tmp_path, where):
    notebook = tmp_path / "course" / "other_student.ipynb"  # a stand-in for the course folder being graded
    notebook.parent.mkdir()
    notebook.write_text("{}")
    name = f"sandbox-probe-{secrets.token_hex(6)}"
    target = {"home": Path.home() / name, "tmp": Path("/tmp") / name, "project": PROJECT / name, "course": notebook}
    with sandboxed_kernel(tmp_path / "work") as kernel:
        printed = kernel.run(WRITE.format(path=str(target[where])))
    assert printed.startswith("refused"), printed
    assert notebook.read_text() == "{}" and not any(path.exists() for path in target.values() if path != notebook)


@needs_bubblewrap
def test_writing_inside_the_working_folder_works_up_to_the_file_size_limit(tmp_path):
    with sandboxed_kernel(tmp_path / "work") as kernel:
        small = kernel.run(WRITE.format(path="notes.txt"))
        big = kernel.run("with open('big', 'wb') as file:\n    while True: file.write(bytes(1 << 20))")
    assert small.strip() == "written" and (tmp_path / "work" / "notes.txt").exists()
    assert "File too large" in big and (tmp_path / "work" / "big").stat().st_size == LIMITS.file_bytes


@needs_bubblewrap
@pytest.mark.parametrize(
    "attack, error",
    [("bytearray(3 << 30)", "MemoryError"), ("files = [open('/dev/null') for _ in range(100_000)]", "Too many open")],
)
def test_memory_and_open_files_are_limited(tmp_path, attack, error):
    with sandboxed_kernel(tmp_path / "work") as kernel:
        assert error in kernel.run(attack)
        assert kernel.run("print('still here')").strip() == "still here"


@needs_bubblewrap
def test_project_course_and_home_are_unreadable_and_not_importable(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    (course / "other_student.ipynb").write_text("{}")
    secret = Path.home() / f".sandbox-secret-{secrets.token_hex(6)}"
    secret.write_text("the home folder's secret")
    try:
        paths = [
            *map(str, sorted((PROJECT / "reference").glob("*.py"))),
            str(course / "other_student.ipynb"),
            str(secret),
            str(PROJECT / "pyproject.toml"),
        ]
        with sandboxed_kernel(tmp_path / "work") as kernel:
            imports = kernel.run(IMPORT)
            reads = kernel.run(READ.format(paths=paths))
    finally:
        secret.unlink()
    assert imports.count("refused: ModuleNotFoundError") == 3, imports
    assert "bytes read" not in reads and reads.count("refused") == len(paths), reads


@needs_bubblewrap
def test_no_network_not_even_the_graders_loopback(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.setblocking(False)
        with sandboxed_kernel(tmp_path / "work") as kernel:
            printed = kernel.run(CONNECT.format(port=server.getsockname()[1]), timeout=30)
        with pytest.raises(BlockingIOError):
            server.accept()
    assert "connected" not in printed and printed.count("refused:") == 2, printed


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
@pytest.mark.slow
def test_cpu_time_limit_ends_a_runaway_kernel(tmp_path):
    with sandboxed_kernel(tmp_path / "work", dataclasses.replace(LIMITS, cpu_seconds=4)) as kernel:
        kernel.kc.execute("while True: pass")
        deadline = time.monotonic() + 30
        while kernel.km.is_alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not kernel.km.is_alive()


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


def test_without_bubblewrap_a_notice_and_limits_only(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    sandbox._bwrap_problem.cache_clear()
    try:
        shield = sandbox.protection()
        with sandboxed_kernel(tmp_path / "work") as kernel:
            limit = kernel.run("import resource; print(resource.getrlimit(resource.RLIMIT_AS)[0])")
    finally:
        sandbox._bwrap_problem.cache_clear()
    assert not shield.namespaces and shield.uid is None
    assert "bubblewrap is not installed" in shield.notice and "\n" not in shield.notice
    assert kernel.launch.prefix[0] == "prlimit" and not any("nproc" in arg for arg in kernel.launch.prefix)
    assert int(limit) == LIMITS.memory_bytes


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
