"""The kernel sandbox against attacks on files, the project, the network and the machine's resources, as in
tests/test_sandbox.py: each test runs one attack in a sandboxed kernel and checks, from outside, that it failed.
"""

import dataclasses
import secrets
import shutil
import socket
import time
from pathlib import Path

import pytest
from grading import CONNECT, IMPORT, LIMITS, PROJECT, READ, WRITE, needs_bubblewrap, sandboxed_kernel

from grader import sandbox


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
@pytest.mark.slow
def test_cpu_time_limit_ends_a_runaway_kernel(tmp_path):
    with sandboxed_kernel(tmp_path / "work", dataclasses.replace(LIMITS, cpu_seconds=4)) as kernel:
        kernel.kc.execute("while True: pass")
        deadline = time.monotonic() + 30
        while kernel.km.is_alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not kernel.km.is_alive()


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
