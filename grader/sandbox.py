"""The sandbox a student's kernel runs in, built from what Linux provides rather than from tricks inside Python:
bubblewrap (namespaces and a filesystem view of its own), setpriv (a uid of its own) and prlimit (resource limits),
all three prefixed to the kernel's command line.

Where the machine allows it (``protection()`` says what it could apply), the kernel gets

* a uid of its own, ``UID_BASE`` + the grader's pid, when the grader runs as root: RLIMIT_NPROC counts processes
  per uid, so a fork bomb in one notebook of a batch cannot starve another notebook's kernel. A grader that is not
  root gets a user namespace from bubblewrap instead, where RLIMIT_NPROC counts per namespace as well;
* network, PID, IPC and UTS namespaces of its own: no network (not even the grader's 127.0.0.1), and it sees and can
  signal only its own processes. bwrap's init is PID 1 there; when it dies (``--die-with-parent``: also when the
  grader dies) the kernel and everything it started die with it, double forks and ``setsid`` included;
* a filesystem view built from nothing: /usr and the Python installation read-only, /proc and /dev of its own, and
  its working folder, the only place it can write (it is also its HOME and TMPDIR). The project folder (grader,
  reference solution), the course folder, the home folder and the host's /tmp are absent. What the project's own
  distribution put into site-packages (its packages, or the .pth and finder of an editable install) is left out, so
  ``import grader`` and ``import reference`` fail;
* limits on address space, CPU time, file size, open files and processes/threads, and no core files. prlimit sets
  them as the last step before Python: RLIMIT_NPROC must be set inside the kernel's own uid or user namespace, and
  a ``preexec_fn`` is unsafe in the grader's threaded process.

ZMQ runs over Unix sockets next to the connection file in ``WORKDIR/.kernel`` (transport "ipc"): TCP on 127.0.0.1
cannot cross a network namespace. Interrupts go as messages: SIGINT to the process group would kill bwrap.

How ``KernelSession._async_start`` should use it::

    launch = sandbox.prepare(workdir, sandbox.KernelLimits(memory_bytes=self.limits.memory_bytes))
    if launch.protection.notice:
        _log.warning(launch.protection.notice)
    client.km = client.create_kernel_manager()
    sandbox.apply(launch, client.km)
    await client.async_start_new_kernel(
        cwd=workdir, env={**self._kernel_environment(), **launch.env},  # launch.env last: HOME, IPYTHONDIR
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # no preexec_fn: prlimit sets the limits

``km.restart_kernel`` reuses the command and the connection file; every start gets fresh namespaces. Killing the
process jupyter_client started (bwrap) kills the whole sandbox; ``kill_token_holders`` still finds the kernel as
root (the token is in its environment). Start kernels from a thread that outlives them: ``--die-with-parent`` uses
PR_SET_PDEATHSIG, which fires when the thread that started bwrap ends.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import resource
import shutil
import site
import subprocess
import sys
from dataclasses import dataclass

from jupyter_client import KernelManager

UID_BASE = 2_000_000_000  # kernel uids: far above real users' and nobody's, below 2**31 whatever the pid
NAMESPACES = ("--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try")
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc/ld.so.cache", "/etc/localtime", "/etc/fonts")
# --unsetenv: ipykernel would take the sandbox's init (its parent, PID 1) for a dead parent and exit.
BWRAP_OPTIONS = ("--die-with-parent", "--unsetenv", "JPY_PARENT_PID", "--proc", "/proc", "--dev", "/dev")
# The grader's own interpreter (a bare `python` would be looked up in PATH), as an absolute path without "..": the
# sandbox holds the Python installation, not the folder the grader was started from.
INTERPRETER = os.path.abspath(sys.executable)
SETPRIV_OPTIONS = ("--clear-groups", "--no-new-privs", "--bounding-set=-all")  # no setuid program can raise it again


@dataclass(frozen=True)
class KernelLimits:
    """Limits of each process in the sandbox, but RLIMIT_NPROC, which counts them all."""

    memory_bytes: int = 4 << 30  # RLIMIT_AS
    cpu_seconds: int = 3600  # RLIMIT_CPU of each process: a backstop behind the grader's wall-clock timeouts
    processes: int = 256  # RLIMIT_NPROC: processes and threads of the sandbox (ipykernel alone runs about ten)
    open_files: int = 1024  # RLIMIT_NOFILE
    file_bytes: int = 1 << 30  # RLIMIT_FSIZE: a larger write fails with "File too large"


@dataclass(frozen=True)
class Protection:
    """What the sandbox can apply on this machine."""

    uid: int | None  # the kernel's own uid (grader is root); None: it keeps the grader's uid
    namespaces: bool  # bubblewrap: own filesystem view, no network, own PIDs, and RLIMIT_NPROC counting the sandbox
    notice: str  # "" or one line saying what is not isolated


@dataclass(frozen=True)
class KernelLaunch:
    """What a KernelManager needs to start a kernel in the sandbox (``apply`` sets it on one)."""

    protection: Protection
    prefix: tuple[str, ...]  # argv before the interpreter
    env: dict[str, str]  # to put over the grader's environment for the kernel
    connection_file: str
    ip: str  # path prefix of the IPC sockets
    chowned: tuple[str, ...]  # given to the kernel's uid: the working folder, recursively (apply: the connection file)
    transport: str = "ipc"


def protection() -> Protection:
    """What this process can apply: everything with a working bubblewrap, else only resource limits."""
    root = os.geteuid() == 0
    problem = _bwrap_problem(root)
    if problem is None:
        return Protection(UID_BASE + os.getpid() if root else None, True, "")
    notice = (
        f"kernel sandbox incomplete ({problem}): the student's code runs as {'root' if root else 'you'} and can "
        "read the grader's files, use the network and signal other processes; only resource limits apply"
    )
    return Protection(None, False, notice)


@functools.cache
def _bwrap_problem(root: bool) -> str | None:
    """Why bubblewrap cannot sandbox a kernel here, or None; found once per process by sandboxing `true`."""
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed"
    user = () if root else ("--unshare-user",)
    probe = subprocess.run(["bwrap", *NAMESPACES, *user, "--ro-bind", "/", "/", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return "bubblewrap cannot create namespaces here: " + " ".join(probe.stderr.split())
    return None


def prepare(workdir: str, limits: KernelLimits = KernelLimits()) -> KernelLaunch:
    """Make ``workdir`` (an existing folder, the kernel's cwd) ready for a sandboxed kernel and say how to start it.

    As root, ``workdir`` and what it holds are given to the kernel's uid: its only writable place."""
    workdir = os.path.realpath(workdir)
    shield = protection()
    runtime = os.path.join(workdir, ".kernel")
    os.makedirs(runtime, mode=0o700, exist_ok=True)
    connection_file = os.path.join(runtime, "kernel.json")
    chowned = _give(workdir, shield.uid)
    prefix = []
    if shield.namespaces:
        prefix += _bwrap(workdir, connection_file, user_namespace=shield.uid is None)
    if shield.uid is not None:
        prefix += ["setpriv", f"--reuid={shield.uid}", f"--regid={shield.uid}", *SETPRIV_OPTIONS, "--"]
    prefix += _prlimit(limits, nproc=shield.namespaces)
    env = {"HOME": workdir, "TMPDIR": workdir, "IPYTHONDIR": os.path.join(workdir, ".ipython")}
    if site.ENABLE_USER_SITE:  # the kernel's HOME is not the user's: point it at the user's own site-packages
        env["PYTHONUSERBASE"] = site.getuserbase()
    return KernelLaunch(shield, tuple(prefix), env, connection_file, os.path.join(runtime, "kernel-ipc"), chowned)


def apply(launch: KernelLaunch, km: KernelManager) -> None:
    """Point a KernelManager that has not started yet at the sandbox.

    The connection file is written now (jupyter_client writes it 0600 for the grader's uid) so that it can be given
    to the kernel's uid; restarts reuse it. The kernel spec's argv becomes the sandbox's prefix followed by the
    grader's own interpreter: a bare ``python`` behind the prefix would be looked up in PATH.
    """
    km.transport, km.ip, km.connection_file = launch.transport, launch.ip, launch.connection_file
    km.write_connection_file()
    if launch.protection.uid is not None:
        os.chown(launch.connection_file, launch.protection.uid, launch.protection.uid)
    spec = km.kernel_spec
    spec.argv = [*launch.prefix, INTERPRETER, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.interrupt_mode = "message"  # the kernel interrupts itself; SIGINT to its process group would kill bwrap


def _give(workdir: str, uid: int | None) -> tuple[str, ...]:
    """Make the working folder and what it holds the kernel's, so that its own uid can write there."""
    if uid is None:
        return ()
    for folder, _, files in os.walk(workdir):
        for path in (folder, *(os.path.join(folder, name) for name in files)):
            os.lchown(path, uid, uid)
    return (workdir,)


def _bwrap(workdir: str, connection_file: str, user_namespace: bool) -> list[str]:
    """bubblewrap's arguments: namespaces, and a filesystem view where only ``workdir`` is writable."""
    args = ["bwrap", *NAMESPACES, *(["--unshare-user"] if user_namespace else []), *BWRAP_OPTIONS]
    pythons = sorted({os.path.abspath(p) for p in (sys.base_prefix, sys.prefix, sys.exec_prefix, sys.base_exec_prefix)})
    sites = _site_dirs()
    args += _folders_above((*SYSTEM_PATHS, *pythons, *sites, workdir))
    for path in SYSTEM_PATHS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.exists(path):
            args += ["--ro-bind", path, path]
    args += [arg for path in pythons for arg in ("--ro-bind", path, path)]
    args += [arg for path in sites for arg in _site_packages(path)]
    # Read-only on top of the working folder: its owner must not replace what a restart reads.
    args += ["--bind", workdir, workdir, "--ro-bind", connection_file, connection_file]
    return args + ["--remount-ro", "/", "--chdir", workdir, "--"]


def _folders_above(paths: tuple[str, ...]) -> list[str]:
    """Create the folders above ``paths``, 0755: bwrap would create missing ones 0700, closed to the kernel's uid."""
    folders = set()
    for path in paths:
        while (path := os.path.dirname(path)) != "/":
            folders.add(path)
    return [arg for folder in sorted(folders) for arg in ("--dir", folder)]  # sorted: parents first


def _site_dirs() -> list[str]:
    user = [site.getusersitepackages()] if site.ENABLE_USER_SITE else []
    return [path for path in (*site.getsitepackages(), *user) if os.path.isdir(path)]


def _site_packages(site_dir: str) -> list[str]:
    """``site_dir`` read-only, rebuilt entry by entry without what the project's distribution put there."""
    hidden = _project_entries()
    args = ["--tmpfs", site_dir]
    for name in sorted(os.listdir(site_dir)):
        path = os.path.join(site_dir, name)
        if os.path.realpath(path) not in hidden:
            args += ["--ro-bind", path, path]
    return args + ["--remount-ro", site_dir]


@functools.cache
def _project_entries() -> frozenset[str]:
    """site-packages entries of the distribution the grader belongs to: its packages, or the .pth and finder of an
    editable install that would import them from the project folder (absent from the sandbox anyway)."""
    entries = set()
    for name in importlib.metadata.packages_distributions().get(__name__.partition(".")[0], []):
        distribution = importlib.metadata.distribution(name)
        for file in distribution.files or ():
            if file.parts[0] not in ("..", "__pycache__"):  # scripts in bin/; byte code of other modules
                entries.add(os.path.realpath(distribution.locate_file(file.parts[0])))
    return frozenset(entries)


def _prlimit(limits: KernelLimits, nproc: bool) -> list[str]:
    """prlimit's arguments. RLIMIT_NPROC only where it counts the sandbox alone; every limit at most the grader's
    hard limit, which an unprivileged process cannot raise."""
    wanted = {
        "as": (resource.RLIMIT_AS, limits.memory_bytes),
        "cpu": (resource.RLIMIT_CPU, limits.cpu_seconds),
        "fsize": (resource.RLIMIT_FSIZE, limits.file_bytes),
        "nofile": (resource.RLIMIT_NOFILE, limits.open_files),
        "core": (resource.RLIMIT_CORE, 0),
    }
    if nproc:
        wanted["nproc"] = (resource.RLIMIT_NPROC, limits.processes)
    args = ["prlimit"]
    for option, (kind, value) in wanted.items():
        hard = resource.getrlimit(kind)[1]
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        args.append(f"--{option}={value}:{value}")
    return [*args, "--"]
