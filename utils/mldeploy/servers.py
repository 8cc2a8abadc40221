"""Servers a lesson starts in the background (the MLflow UI, model servers, a Kafka broker), stopped for sure.

Every server goes the same way: ``reserve_port`` picks a free loopback port no other lesson holds,
``BackgroundServer`` starts the command in its own process group with its log in the lesson's
``work/`` folder, waits until it answers (an HTTP path, or a TCP connection for non-HTTP servers),
and ``stop()`` ends the whole group and frees the port. ``stop()`` also runs when the kernel exits.
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

from .paths import lesson_dir
from .ports import LOOPBACK, PortReservation, reserve_port


class BackgroundServer:
    """A server process: its ``url``, its ``log`` file and ``stop()``. Usable as a context manager.

    ``command(port)`` builds the command line for the reserved port (``exact_port``: that port or
    ``PortTakenError``). ``ready_path`` is the HTTP path that answers once the server is up; ``None`` waits
    for the port to accept TCP connections instead. The log goes to ``log_folder`` (default ``./work``).
    """

    def __init__(self, name: str, command: Callable[[int], list[str]], preferred_port: int,
                 ready_path: str | None = "/", timeout: float = 90, env: dict[str, str] | None = None,
                 exact_port: bool = False, log_folder: Path | None = None) -> None:
        self.name = name
        self._reservation: PortReservation = reserve_port(preferred_port, exact=exact_port)
        self.port = self._reservation.port
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.log = (log_folder or lesson_dir()) / f"{name}-{self.port}.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                command(self.port), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, env={**os.environ, **(env or {})},
            )
        atexit.register(self.stop)
        try:
            self._wait_until_ready(ready_path, timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_until_ready(self, path: str | None, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with code {self.process.returncode}; its log:\n{self._log_tail()}")
            if self._answers(path):
                return
            time.sleep(0.25)
        raise TimeoutError(f"{self.name} did not answer on {self.url} within {timeout:.0f} s; its log:\n{self._log_tail()}")

    def _answers(self, path: str | None) -> bool:
        if path is None:
            with socket.socket() as probe:
                probe.settimeout(2)
                return probe.connect_ex((LOOPBACK, self.port)) == 0
        try:
            with urllib.request.urlopen(self.url + path, timeout=2):
                return True
        except urllib.error.HTTPError as answer:
            if answer.code >= 500:  # up, but still loading
                return False
            raise RuntimeError(
                f"{self.name} is up on {self.url} but answers {answer.code} on its ready path {path!r}: "
                f"that path is wrong for this server."
            ) from None
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def _log_tail(self, lines: int = 20) -> str:
        return "\n".join(Path(self.log).read_text(errors="replace").splitlines()[-lines:])

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Stop the server and everything it started, and free its port; safe to call twice."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            except ProcessLookupError:
                pass
        self._reservation.release()
        atexit.unregister(self.stop)

    def detach(self) -> None:
        """Let the server outlive this process: no stop at exit, and the port is left to the server itself."""
        atexit.unregister(self.stop)
        self._reservation.release()

    def __enter__(self) -> "BackgroundServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<{self.name} at {self.url}, {state}, log {self.log}>"


def start_mlflow_ui(tracking_uri: str | None = None, port: int = 5000) -> BackgroundServer:
    """Start ``mlflow ui`` on the given tracking database (default: this process's tracking URI)."""
    import mlflow

    uri = tracking_uri or mlflow.get_tracking_uri()
    # One worker: a laptop UI has one user, and each extra worker costs seconds of start-up.
    return BackgroundServer(
        "mlflow-ui",
        lambda chosen: [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", uri, "--host", LOOPBACK,
                        "--port", str(chosen), "--workers", "1"],
        port,
        ready_path="/health",
    )
