"""Run a submission's kernel where it can harm nothing but itself (``make grade``, Linux).

nbgrader executes a submission with the grader's rights, in the course folder: a notebook could read the
answer key in ``solutions/`` or rewrite ``gradebook.db``. Here the grader keeps the notebook, the hidden
tests and the gradebook; only the *kernel* is started in a sandbox, and the tests reach it through its
channel (ZeroMQ over Unix sockets in the student's scratch folder). The sandbox is made from Linux
namespaces with util-linux's ``unshare`` and ``setpriv``, so it needs no Docker and no extra package:

- a mount namespace whose root is a fresh tmpfs holding only the system folders (``/usr``, ``/etc``...),
  the venv, Python, the ``mldeploy`` package and the data lake, all read-only; the jar caches through an
  overlay (Spark's Ivy writes beside the jars; the writes stay in the student's scratch folder); the
  student's own scratch folder (work, home, tmp) writable. The course folder, ``solutions/``,
  ``gradebook.db``, ``exchange/``, other submissions and the instructor's home are not there at all;
- a network namespace with loopback only (Spark, MLflow and the lesson's own servers work; nothing else);
- a PID namespace (the kernel sees and can signal only its own processes; all die with it), and its own
  IPC and host name;
- as root (CI), the kernel runs as a user id of its own (one per sandbox); as a normal user, in a user
  namespace with every capability dropped. Either way with ``no_new_privs``;
- resource limits per process: memory (``RLIMIT_DATA``), processes and threads, CPU time, file size.

``sandbox_problem()`` says in one line why a sandbox cannot be made here (macOS, no user namespaces).
"""

from __future__ import annotations

import ctypes
import fcntl
import functools
import json
import os
import platform
import resource
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

#: As root, each sandbox runs as a user id of its own from this range, owning nothing on the machine and
#: named in no passwd file. Its own, because the process limit counts every process of a user id: a fork bomb
#: in one sandbox must not use up the processes of another graded at the same time.
SANDBOX_UIDS = range(200_000, 1_000_000)
#: The kernelspec the grader asks nbgrader to start (``--Execute.kernel_name``).
KERNEL_NAME = "mldeploy-sandbox"
#: Per process: a 20 GB allocation fails at once, a Spark driver (2 GB heap) or a Kafka broker still fits.
MEMORY_LIMIT_BYTES = 8 * 1024**3
#: Processes and threads of the sandbox's user: Spark, a Kafka broker and an MLflow server use ~600 threads.
PROCESS_LIMIT = 2048
CPU_SECONDS_LIMIT = 2 * 3600
FILE_SIZE_LIMIT_BYTES = 4 * 1024**3
TMP_SIZE_BYTES = 4 * 1024**3
#: The kernel's home; its folder (where a lesson writes ./work) is work/ below it.
LEARNER_HOME = "/home/learner"
#: System folders every program needs, shown read-only (missing ones are skipped; symlinks kept as links).
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt")
#: Variables a kernel may inherit from the grader; the rest (tokens, keys, the instructor's paths) stay out.
ENV_ALLOWED = ("PATH", "LANG", "LANGUAGE", "TZ", "JAVA_HOME", "TERM", "PYDEVD_DISABLE_FILE_VALIDATION")
ENV_ALLOWED_PREFIXES = ("LC_", "MLDEPLOY_", "OMP_", "OPENBLAS_", "MKL_", "JPY_", "PYSPARK_", "JUPYTER_PLATFORM")

#: This file run as a script (standard library only): starting a kernel does not pay for importing mldeploy.
LAUNCHER = (sys.executable, "-I", str(Path(__file__).resolve()))

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2


class SandboxError(RuntimeError):
    """A sandbox could not be made on this machine; the message says why."""


@dataclass
class SandboxSpec:
    """What one student's kernel sees: written as JSON beside the kernelspec, read by the launcher."""

    scratch: str                      # the student's folder: home/ (HOME, work/ the kernel's folder), run/
    read_only: list[str]              # host folders shown read-only at the same path
    overlays: dict[str, str]          # host folder shown writable -> its lower layer; writes land in scratch
    env: dict[str, str] = field(default_factory=dict)
    files_from: str | None = None     # the submission folder: its files (not notebooks) go to home/work/
    decoys: dict[str, str] = field(default_factory=dict)  # a secret's path -> a harmless stand-in shown there
    drop_to_uid: int | None = None    # root: run the kernel as this user

    def write(self, path: Path) -> Path:
        path.write_text(json.dumps(asdict(self), indent=1))
        return path

    @classmethod
    def read(cls, path: Path) -> "SandboxSpec":
        return cls(**json.loads(Path(path).read_text()))


# ---- the grader's side: a kernelspec per student ------------------------------------------------------------


def python_paths() -> list[Path]:
    """Folders the venv's Python needs: the venv, the base installation, and where mldeploy is imported from."""
    import mldeploy

    paths = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(mldeploy.__file__).resolve().parents[1]}
    return sorted(paths)


def sandbox_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The grader's variables a kernel may see, plus ``extra`` (for instance ``MLDEPLOY_SPARK``)."""
    kept = {name: value for name, value in os.environ.items()
            if name in ENV_ALLOWED or name.startswith(ENV_ALLOWED_PREFIXES)}
    return {**kept, **(extra or {})}


@dataclass
class StudentSandbox:
    """The files that make nbgrader start one student's kernels in a sandbox."""

    folder: Path

    @property
    def jupyter_path(self) -> Path:
        return self.folder / "jupyter"

    @property
    def runtime(self) -> Path:
        return self.folder / "run"

    def nbgrader_options(self) -> list[str]:
        # ZeroMQ over Unix sockets: they cross the network namespace that TCP on loopback cannot.
        return [f"--Execute.kernel_name={KERNEL_NAME}", "--KernelManager.transport=ipc",
                f"--KernelManager.ip={self.runtime / 'k'}"]

    def grader_env(self) -> dict[str, str]:
        return {"JUPYTER_PATH": str(self.jupyter_path), "JUPYTER_RUNTIME_DIR": str(self.runtime)}


def prepare_student(folder: Path, spec: SandboxSpec) -> StudentSandbox:
    """Lay out ``folder`` (scratch, kernelspec, spec) for one student; the kernel starts when nbgrader asks."""
    box = StudentSandbox(folder)
    for path in (folder / "home" / "work", folder / "overlay", box.runtime):
        path.mkdir(parents=True, exist_ok=True)
    spec_path = spec.write(folder / "sandbox.json")
    kernel_dir = box.jupyter_path / "kernels" / KERNEL_NAME
    kernel_dir.mkdir(parents=True, exist_ok=True)
    kernel = {
        "argv": [*LAUNCHER, "kernel", str(spec_path), "--",
                 sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (grading sandbox)",
        "language": "python",
        # Interrupts (a cell's timeout) travel on the kernel's control channel, not as a signal to unshare.
        "interrupt_mode": "message",
    }
    (kernel_dir / "kernel.json").write_text(json.dumps(kernel, indent=1))
    if spec.drop_to_uid is not None:
        for path in (folder / "home", folder / "home" / "work", box.runtime):
            os.chown(path, spec.drop_to_uid, spec.drop_to_uid)
    return box


def sandbox_uid() -> int:
    """A fresh user id for one sandbox (root only), from ``SANDBOX_UIDS``."""
    return secrets.choice(SANDBOX_UIDS)


def writable_copy(source: Path, target: Path, leave_out: tuple[str, ...] = ()) -> Path:
    """A copy of ``source`` that any user may write: the lower layer of each student's overlay when root grades.

    An overlay checks permissions on its lower layer, so a sandbox's user could not write beside root's jars.
    ``leave_out`` names top-level folders not copied (they are shown read-only instead, see ``SandboxSpec``).
    One copy serves every student of a grading run: each writes only to their own upper layer, and the copy is
    seen only inside the sandboxes.
    """
    shutil.copytree(source, target, symlinks=True, copy_function=_copy_if_still_there,
                    ignore=lambda folder, names: [n for n in names if Path(folder) == source and n in leave_out])
    for path in (target, *target.rglob("*")):
        if not path.is_symlink():
            path.chmod(0o777 if path.is_dir() or os.access(path, os.X_OK) else 0o666)
    return target


def _copy_if_still_there(source: str, target: str) -> None:
    """Copy a file unless it vanished since the folder was listed: a Spark run beside the grading deletes its
    Ivy resolution files (``resolved-*.xml``) from the shared cache while the copy is made."""
    try:
        shutil.copy2(source, target)
    except FileNotFoundError:
        if os.path.exists(source):
            raise


class Tripwire:
    """Which of some files and folders were opened (Linux inotify): the stand-ins shown where secrets lie.

    Opening one means a submission went looking for the answer key or the gradebook; its reads get the
    stand-in, never the secret, and the grader names the submission.
    """

    IN_OPEN, IN_NONBLOCK, IN_CLOEXEC = 0x20, 0o4000, 0o2000000

    def __init__(self, paths: dict[str, Path]) -> None:
        self.fd = _libc.inotify_init1(self.IN_NONBLOCK | self.IN_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self.names: dict[int, str] = {}
        for name, path in paths.items():
            for watched in (path, *path.rglob("*")) if path.is_dir() else (path,):
                descriptor = _libc.inotify_add_watch(self.fd, str(watched).encode(), self.IN_OPEN)
                if descriptor >= 0:
                    self.names[descriptor] = name if watched == path else f"{name}/{watched.relative_to(path)}"

    def opened(self) -> list[str]:
        """What was opened since the last call (each name once)."""
        seen: set[str] = set()
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return sorted(seen)
            offset = 0
            while offset < len(data):
                descriptor, _mask, _cookie, length = struct.unpack_from("iIII", data, offset)
                seen.add(self.names.get(descriptor, "?"))
                offset += 16 + length

    def close(self) -> None:
        os.close(self.fd)


@functools.lru_cache(maxsize=1)
def sandbox_problem() -> str | None:
    """Why ``make grade`` cannot sandbox a kernel here, in one line; ``None`` when it can (asked once a process)."""
    if platform.system() != "Linux":
        return (f"the grading sandbox needs Linux namespaces, and this is {platform.system()}: grade on a Linux "
                f"machine (or a Linux VM), or pass --unsafe to run submissions with your rights")
    for tool in ("unshare", "setpriv"):
        if not shutil.which(tool):
            return f"the grading sandbox needs util-linux's `{tool}`: install util-linux, or pass --unsafe"
    with tempfile.TemporaryDirectory(prefix="mldeploy-sandbox-probe-") as scratch:
        folder = Path(scratch)
        spec = SandboxSpec(scratch=str(folder), read_only=[str(p) for p in python_paths()], overlays={},
                           drop_to_uid=sandbox_uid() if os.geteuid() == 0 else None)
        prepare_student(folder, spec)
        probe = [sys.executable, "-c", "import socket; socket.socket().bind(('127.0.0.1', 0)); print('ok')"]
        try:
            done = subprocess.run([*outer_command(folder / "sandbox.json", spec), "--", *probe],
                                  capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"the grading sandbox could not start ({error}); pass --unsafe to grade without it"
        if done.returncode != 0 or done.stdout.strip() != "ok":
            reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
            return (f"the grading sandbox could not start ({reason}); unprivileged user namespaces may be off "
                    f"(Debian: sysctl kernel.unprivileged_userns_clone=1; Ubuntu 23.10+: "
                    f"kernel.apparmor_restrict_unprivileged_userns=0), or grade as root - or pass --unsafe")
    return None


# ---- the launcher: outside the namespaces, then inside as their first process -------------------------------


def outer_command(spec_path: Path, spec: SandboxSpec) -> list[str]:
    """``unshare`` into new namespaces, running this module's ``inside`` stage as PID 1."""
    command = ["unshare", "--mount", "--net", "--pid", "--ipc", "--uts", "--fork", "--kill-child"]
    if spec.drop_to_uid is None:  # no other user to become: a user namespace, where this user is root alone
        command += ["--user", "--map-root-user"]
    return [*command, *LAUNCHER, "inside", str(spec_path)]


def launch_kernel(spec_path: Path, argv: list[str]) -> int:
    """Jupyter starts this as the kernel: copy what the kernel may see, then enter the sandbox."""
    spec = SandboxSpec.read(spec_path)
    scratch = Path(spec.scratch)
    if "-f" in argv:  # the connection file is 0600 and the grader's; the kernel gets its own copy
        index = argv.index("-f") + 1
        own = scratch / "run" / f"sandbox-{Path(argv[index]).name}"
        shutil.copy(argv[index], own)
        if spec.drop_to_uid is not None:
            os.chown(own, spec.drop_to_uid, spec.drop_to_uid)
        argv = [*argv[:index], str(own), *argv[index + 1:]]
    if spec.files_from:  # the submission's own files (data, modules), never a notebook
        source = Path(spec.files_from)
        for path in source.rglob("*"):
            if path.is_file() and not path.is_symlink() and path.suffix != ".ipynb" and ".ipynb_checkpoints" not in path.parts:
                target = scratch / "home" / "work" / path.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
                if spec.drop_to_uid is not None:
                    os.chown(target, spec.drop_to_uid, spec.drop_to_uid)
                    os.chown(target.parent, spec.drop_to_uid, spec.drop_to_uid)
    command = [*outer_command(spec_path, spec), "--", *argv]
    os.execvp(command[0], command)
    return 1  # not reached


_libc = ctypes.CDLL(None, use_errno=True)


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    encode = lambda text: text.encode() if text is not None else None  # noqa: E731
    if _libc.mount(encode(source), encode(target), encode(fstype), ctypes.c_ulong(flags), encode(data)) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"mount {source or fstype} on {target}: {os.strerror(error)}")


def _bind(source: str, target: str, read_only: bool) -> None:
    if Path(source).is_dir():
        Path(target).mkdir(parents=True, exist_ok=True)
    elif not Path(target).exists():
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        Path(target).touch()
    _mount(source, target, None, MS_BIND | MS_REC)
    if read_only:
        # A remount must keep the flags the original mount has locked (nosuid, nodev, noexec in a user namespace).
        locked = os.statvfs(target).f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC)
        _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | locked)


def _loopback_up() -> None:
    SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH", b"lo", flags | IFF_UP))


def build_root(spec: SandboxSpec) -> Path:
    """Mount the sandbox's file system on a fresh tmpfs and return it (run inside the mount namespace)."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    scratch = Path(spec.scratch)
    root = scratch / "root"  # a mount point only: the tmpfs on it exists in this namespace alone
    root.mkdir(exist_ok=True)
    _mount("tmpfs", str(root), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
    inside = lambda path: str(root) + str(path)  # noqa: E731
    for path in SYSTEM_PATHS:
        if os.path.islink(path):
            os.symlink(os.readlink(path), inside(path))
        elif os.path.isdir(path):
            _bind(path, inside(path), read_only=True)
    if spec.drop_to_uid is not None:  # a name for the sandbox's user: Java (Hadoop's login) needs one
        uid = spec.drop_to_uid
        for name, line in (("passwd", f"learner:x:{uid}:{uid}:learner:{LEARNER_HOME}:/bin/sh\n"),
                           ("group", f"learner:x:{uid}:\n")):
            (scratch / name).write_text(Path("/etc", name).read_text() + line)
            _bind(str(scratch / name), inside(f"/etc/{name}"), read_only=True)
    # /tmp is the sandbox's own (memory, bounded); mounted before anything that may lie below it.
    Path(inside("/tmp")).mkdir()
    _mount("tmpfs", inside("/tmp"), "tmpfs", MS_NOSUID | MS_NODEV, f"mode=1777,size={TMP_SIZE_BYTES}")
    for number, (path, lower) in enumerate(spec.overlays.items()):
        layer = scratch / "overlay" / str(number)
        (layer / "upper").mkdir(parents=True, exist_ok=True)
        (layer / "work").mkdir(parents=True, exist_ok=True)
        if spec.drop_to_uid is not None:  # the overlay's top folder takes its owner from the upper layer
            os.chown(layer / "upper", spec.drop_to_uid, spec.drop_to_uid)
        Path(inside(path)).mkdir(parents=True, exist_ok=True)
        options = f"lowerdir={lower},upperdir={layer / 'upper'},workdir={layer / 'work'}"
        try:
            _mount("overlay", inside(path), "overlay", MS_NOSUID, options)
        except OSError:  # a user namespace needs the userxattr option (Linux 5.11+)
            _mount("overlay", inside(path), "overlay", MS_NOSUID, options + ",userxattr")
    # After the overlays: a read-only folder may lie inside one (the JVM archive in the jar cache); the
    # stand-ins last, over anything else.
    for path in spec.read_only:
        if os.path.exists(path):
            _bind(path, inside(path), read_only=True)
    for path, stand_in in spec.decoys.items():
        _bind(stand_in, inside(path), read_only=True)
    _bind(str(scratch / "run"), inside(scratch / "run"), read_only=False)  # the kernel's sockets, same path
    _bind(str(scratch / "home"), inside(LEARNER_HOME), read_only=False)
    Path(inside("/proc")).mkdir()
    _mount("proc", inside("/proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    Path(inside("/dev")).mkdir()
    _mount("tmpfs", inside("/dev"), "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755")
    for device in ("null", "zero", "full", "random", "urandom", "tty"):
        _bind(f"/dev/{device}", inside(f"/dev/{device}"), read_only=False)
    Path(inside("/dev/shm")).mkdir()
    _mount("tmpfs", inside("/dev/shm"), "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, inside(f"/dev/{name}"))
    return root


def enter_root(root: Path) -> None:
    """Make ``root`` the file system's root and detach the old one: nothing outside it can be reached."""
    old = root / ".oldroot"
    old.mkdir()
    # util-linux puts pivot_root in sbin, which a normal user's PATH often lacks.
    tool = shutil.which("pivot_root", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin") or "pivot_root"
    subprocess.run([tool, str(root), str(old)], check=True)
    os.chdir("/")
    if _libc.umount2(b"/.oldroot", MNT_DETACH) != 0:
        raise OSError(ctypes.get_errno(), "umount /.oldroot")
    os.rmdir("/.oldroot")


def set_limits() -> None:
    for limit, value in ((resource.RLIMIT_DATA, MEMORY_LIMIT_BYTES), (resource.RLIMIT_NPROC, PROCESS_LIMIT),
                         (resource.RLIMIT_CPU, CPU_SECONDS_LIMIT), (resource.RLIMIT_FSIZE, FILE_SIZE_LIMIT_BYTES),
                         (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(limit, (value, value))


def privilege_drop(spec: SandboxSpec) -> list[str]:
    """``setpriv``: another user when root, no capabilities, no way to gain privileges by exec."""
    command = ["setpriv", "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all"]
    if spec.drop_to_uid is not None:
        command += [f"--reuid={spec.drop_to_uid}", f"--regid={spec.drop_to_uid}", "--clear-groups"]
    return command


def inside(spec_path: Path, argv: list[str]) -> int:
    """PID 1 of the sandbox: build it, start the kernel as a child, reap every process, pass on signals."""
    spec = SandboxSpec.read(spec_path)
    scratch = Path(spec.scratch)
    root = build_root(spec)
    _loopback_up()
    socket.sethostname("localhost")  # Java resolves its own host name: let that be loopback
    enter_root(root)
    set_limits()
    env = {**spec.env, "HOME": LEARNER_HOME, "TMPDIR": "/tmp", "PYTHONNOUSERSITE": "1"}
    child = os.fork()
    if child == 0:
        os.chdir(f"{LEARNER_HOME}/work")
        command = [*privilege_drop(spec), "--", *argv]
        os.execvpe(command[0], command, env)
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda number, _frame: os.kill(child, number))
    status = 0
    while True:
        try:
            pid, code = os.wait()
        except ChildProcessError:
            return status
        except InterruptedError:
            continue
        if pid == child:
            status = os.waitstatus_to_exitcode(code)
            return status if status >= 0 else 128 - status


def main(args: list[str]) -> int:
    if len(args) >= 3 and args[0] in ("kernel", "inside") and "--" in args:
        split = args.index("--")
        stage = launch_kernel if args[0] == "kernel" else inside
        return stage(Path(args[1]), args[split + 1:])
    print("usage: python -m mldeploy.course.sandbox {kernel|inside} SPEC.json -- COMMAND...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
