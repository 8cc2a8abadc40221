"""Ports for the servers a lesson starts: free, on loopback, and never handed to two lessons at once.

Checking that a port is free and starting a server on it are two steps; two notebooks starting
servers at the same moment could both see port 5000 free. ``reserve_port`` closes that gap: it
holds an exclusive lock file per port in the course's cache (``ports/<port>.lock``) from the check
until the server stops, and other course processes skip a locked port. The lock goes with the process
that holds it, so a crashed notebook never leaves a port reserved.
"""

from __future__ import annotations

import fcntl
import os
import socket
from dataclasses import dataclass

from .paths import cache_dir

LOOPBACK = "127.0.0.1"
#: How many ports after the preferred one are tried before asking the operating system for any port.
NEARBY = 20


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    """Whether a server could listen on ``host:port`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


@dataclass
class PortReservation:
    """A port this process may start a server on; ``release()`` once the server has stopped."""

    port: int
    _lock_fd: int | None

    def release(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the file drops the lock
            self._lock_fd = None


def _lock(port: int) -> int | None:
    """An exclusive lock on ``port`` among course processes, or None when another one holds it."""
    folder = cache_dir() / "ports"
    folder.mkdir(exist_ok=True)
    fd = os.open(folder / f"{port}.lock", os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


class PortTakenError(RuntimeError):
    """The one port asked for is taken (by another program, or held by another lesson)."""


def reserve_port(preferred: int, host: str = LOOPBACK, exact: bool = False) -> PortReservation:
    """``preferred`` if it is free and no other lesson holds it, else a nearby or any free port.

    With ``exact`` only ``preferred`` will do (a server restarted where its clients expect it): ``PortTakenError``.
    """
    if exact:
        fd = _lock(preferred)
        if fd is not None and port_is_free(preferred, host):
            return PortReservation(preferred, fd)
        if fd is not None:
            os.close(fd)
        raise PortTakenError(f"Port {preferred} on {host} is taken"
                             f"{' by another program' if fd is not None else ' by another lesson of the course'}.")
    candidates = [preferred + offset for offset in range(NEARBY + 1)]
    for port in candidates:
        fd = _lock(port)
        if fd is None:
            continue
        if port_is_free(port, host):
            return PortReservation(port, fd)
        os.close(fd)
    for _ in range(10):  # the operating system's choice, locked like the others
        with socket.socket() as probe:
            probe.bind((host, 0))
            port = probe.getsockname()[1]
        fd = _lock(port)
        if fd is not None:
            return PortReservation(port, fd)
    raise RuntimeError(f"No free port near {preferred} on {host}: stop some servers (`make doctor` lists them).")
