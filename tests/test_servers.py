"""One way to run a background server: a reserved loopback port, a ready check, a stop that always stops."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest

from mldeploy.ports import port_is_free, reserve_port
from mldeploy.servers import BackgroundServer


@pytest.fixture(autouse=True)
def work_in_tmp(tmp_path, monkeypatch):
    """Server logs go to ./work: keep them in the test's folder, and port locks in its own cache."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLDEPLOY_CACHE", str(tmp_path / "cache"))


def http_server(port: int) -> list[str]:
    return [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]


def test_two_reservations_never_share_a_port():
    first = reserve_port(18765)
    second = reserve_port(18765)
    try:
        assert first.port != second.port
    finally:
        first.release()
        second.release()
    again = reserve_port(18765)
    again.release()
    assert again.port == first.port, "a released port is free again"


def test_a_port_reserved_by_another_process_is_skipped(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent("""
            import sys, time
            from mldeploy.ports import reserve_port
            held = reserve_port(18800)
            print(held.port, flush=True)
            time.sleep(60)
        """)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        held = int(holder.stdout.readline())
        mine = reserve_port(held)
        assert mine.port != held and port_is_free(held), "the port is free to bind, yet another lesson holds it"
        mine.release()
    finally:
        holder.kill()
        holder.wait()


def test_server_starts_answers_and_stops_for_sure():
    with BackgroundServer("files", http_server, 18900, ready_path="/") as server:
        assert server.running and server.url.startswith("http://127.0.0.1:")
        port = server.port
        assert not port_is_free(port)
    assert not server.running and port_is_free(port)
    server.stop()  # twice is fine


def test_tcp_ready_check_for_servers_without_http():
    with BackgroundServer("tcp", http_server, 18950, ready_path=None) as server:
        assert server.running


def test_a_wrong_ready_path_fails_at_once_with_the_reason():
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="answers 404 on its ready path '/no-such-path'"):
        BackgroundServer("files", http_server, 19000, ready_path="/no-such-path", timeout=60)
    assert time.monotonic() - started < 30, "a 404 must not be retried until the timeout"


def test_a_server_that_dies_reports_its_log():
    def crash(port: int) -> list[str]:
        return [sys.executable, "-c", "import sys; print('cannot start: config missing'); sys.exit(3)"]

    with pytest.raises(RuntimeError, match="exited with code 3(.|\n)*config missing"):
        BackgroundServer("crashing", crash, 19050)
