"""The grading sandbox itself: what a program started in it can see, write and reach (Linux only).

Both ways it is made: as root dropping to a user id of its own (what CI and a grading server do), and in a user
namespace with every capability dropped (what a laptop user gets; tested here as root, mapped to itself).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mldeploy.course.sandbox import (SANDBOX_UIDS, SandboxSpec, outer_command, prepare_student, python_paths,
                                     sandbox_problem, sandbox_uid, writable_copy)

pytestmark = pytest.mark.skipif(sandbox_problem() is not None, reason=f"no sandbox here: {sandbox_problem()}")

PROBE = r'''
import json, os, socket, sys
from pathlib import Path
secret, lake, cache = sys.argv[1:4]
report = {"uid": os.getuid(), "cwd": os.getcwd(), "secret_visible": os.path.exists(secret),
          "interfaces": [name for _, name in socket.if_nameindex()], "processes": len([p for p in os.listdir("/proc") if p.isdigit()])}
try:
    Path(lake, "vandal.txt").write_text("x"); report["lake"] = "written"
except OSError as error:
    report["lake"] = error.strerror
try:
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).connect(("192.0.2.1", 9)); report["route"] = "yes"
except OSError as error:
    report["route"] = error.strerror
server = socket.create_server(("127.0.0.1", 0)); client = socket.create_connection(server.getsockname())
report["loopback"] = server.accept()[0].recv(0) == b""
Path(cache, "written-in-sandbox.txt").write_text("x")
try:
    bytearray(20 * 1024**3); report["allocated_20gb"] = True
except MemoryError:
    report["allocated_20gb"] = False
print(json.dumps(report))
'''


@pytest.mark.parametrize("drop", [True, False], ids=["root-to-own-uid", "user-namespace"])
def test_a_sandboxed_program_sees_and_reaches_only_what_it_is_given(drop: bool, tmp_path: Path):
    if drop and os.geteuid() != 0:
        pytest.skip("dropping to another user needs root")
    secret = tmp_path / "course" / "solutions" / "answers.ipynb"
    secret.parent.mkdir(parents=True)
    secret.write_text("{}")
    lake, cache = tmp_path / "lake", tmp_path / "cache"
    lake.mkdir()
    (cache / "ivy").mkdir(parents=True)
    uid = sandbox_uid() if drop else None
    lower = writable_copy(cache, tmp_path / "cache-lower") if drop else cache
    spec = SandboxSpec(scratch=str(tmp_path / "box"), read_only=[*map(str, python_paths()), str(lake)],
                       overlays={str(cache): str(lower)}, env={"PATH": os.environ["PATH"]}, drop_to_uid=uid)
    prepare_student(tmp_path / "box", spec)
    command = [*outer_command(tmp_path / "box" / "sandbox.json", spec), "--", sys.executable, "-c", PROBE,
               str(secret), str(lake), str(cache)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["uid"] == (uid if drop else 0) and (not drop or uid in SANDBOX_UIDS)
    assert report["cwd"] == "/home/learner/work"
    assert report["secret_visible"] is False, "the course folder must not exist in the sandbox"
    assert report["lake"] == "Read-only file system"
    assert report["interfaces"] == ["lo"] and report["route"] == "Network is unreachable" and report["loopback"]
    assert report["processes"] <= 3, "only the sandbox's own processes are visible"
    assert report["allocated_20gb"] is False
    # The cache took the write in the student's own layer; the real one is untouched.
    assert not (cache / "written-in-sandbox.txt").exists() and not (lower / "written-in-sandbox.txt").exists()
    assert list((tmp_path / "box" / "overlay").rglob("written-in-sandbox.txt"))
    assert not lake.joinpath("vandal.txt").exists()


BOMB = r"""
import subprocess
children = []
try:
    while True:
        children.append(subprocess.Popen(["sleep", "60"]))
except OSError:
    print(len(children), flush=True)
import time
time.sleep(30)
"""
THREADS = r"""
import threading, time
threads = [threading.Thread(target=time.sleep, args=(0.5,)) for _ in range(200)]
for thread in threads:
    thread.start()
print("started", len(threads))
"""


def run_in_sandbox(folder: Path, code: str, uid: int | None) -> subprocess.Popen:
    spec = SandboxSpec(scratch=str(folder), read_only=[*map(str, python_paths())], overlays={},
                       env={"PATH": os.environ["PATH"]}, drop_to_uid=uid)
    prepare_student(folder, spec)
    return subprocess.Popen([*outer_command(folder / "sandbox.json", spec), "--", sys.executable, "-c", code],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_fork_bomb_costs_only_its_own_sandbox(tmp_path: Path):
    """Two sandboxes at once: one takes every process it may, the other still starts 200 threads."""
    uid = sandbox_uid if os.geteuid() == 0 else (lambda: None)
    bomb = run_in_sandbox(tmp_path / "bomb", BOMB, uid())
    try:
        reached = int(bomb.stdout.readline() or 0)
        assert reached > 1000, f"the bomb stopped at {reached} processes: {bomb.stderr.read()[-2000:]}"
        neighbour = run_in_sandbox(tmp_path / "neighbour", THREADS, uid())
        out, err = neighbour.communicate(timeout=120)
        assert neighbour.returncode == 0 and out.strip() == "started 200", err[-2000:]
    finally:
        bomb.kill()
        bomb.communicate()
