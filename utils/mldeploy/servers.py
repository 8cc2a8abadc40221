"""Servers a lesson starts in the background (the MLflow UI, model servers), and stops for sure.

A ``BackgroundServer`` runs in its own process group with its log in the lesson's ``work/``
folder; ``stop()`` ends the whole group, and is also called when the notebook's kernel exits.
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from .doctor import port_is_free
from .paths import lesson_dir


def free_port(preferred: int) -> int:
    """``preferred`` if nothing listens on it, else a free port the operating system picks."""
    if port_is_free(preferred):
        return preferred
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class BackgroundServer:
    """A server process: its ``url``, its ``log`` file and ``stop()``. Usable as a context manager."""

    def __init__(self, name: str, command: list[str], port: int, ready_path: str = "/", timeout: float = 90) -> None:
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = lesson_dir() / f"{name}-{port}.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
        atexit.register(self.stop)
        self._wait_until_ready(ready_path, timeout)

    def _wait_until_ready(self, path: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with code {self.process.returncode}; its log:\n{self._log_tail()}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=2) as response:
                    if response.status < 500:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.25)
        self.stop()
        raise TimeoutError(f"{self.name} did not answer on {self.url} within {timeout:.0f} s; its log:\n{self._log_tail()}")

    def _log_tail(self, lines: int = 20) -> str:
        return "\n".join(Path(self.log).read_text(errors="replace").splitlines()[-lines:])

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Stop the server and everything it started; safe to call twice."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            except ProcessLookupError:
                pass
        atexit.unregister(self.stop)

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
    port = free_port(port)
    # One worker: a laptop UI has one user, and each extra worker costs seconds of start-up.
    command = [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", uri, "--host", "127.0.0.1",
               "--port", str(port), "--workers", "1"]
    return BackgroundServer("mlflow-ui", command, port, ready_path="/health")
