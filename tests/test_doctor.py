"""mldeploy.doctor: every check runs, problems come with their fix, and the report shows them all."""

from __future__ import annotations

import socket

import pytest

from mldeploy import report, run_doctor
from mldeploy.doctor import FAIL, OK, WARN, Check, check_delta, check_java, check_listeners, check_ports, check_spark
from mldeploy.ports import port_is_free
from mldeploy.spark import JAVA_HELP

CHECK_NAMES = ["python", "java", "SPARK_HOME", "spark", "jvm archive", "delta", "mlflow", "kafka", "ports", "listening", "disk",
               "lake"]


@pytest.fixture(scope="module")
def checks(spark, lake, monkeypatch_module):
    # An MLFLOW_TRACKING_URI from the developer's shell would send the mlflow check to their server.
    monkeypatch_module.delenv("MLFLOW_TRACKING_URI", raising=False)
    return run_doctor(spark)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture
def busy_port():
    """A port something listens on, for as long as the test runs."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        yield server.getsockname()[1]


def test_this_machine_passes(checks):
    assert [check.name for check in checks] == CHECK_NAMES
    failed = [check for check in checks if check.status not in (OK, WARN)]
    assert not failed, "\n" + report(checks)
    assert {check.name: check.status for check in checks if check.name in ("spark", "delta", "java", "lake", "kafka")} == {
        "java": OK, "spark": OK, "delta": OK, "lake": OK, "kafka": OK
    }, "\n" + report(checks)


def test_report_shows_every_check(checks):
    text = report(checks)
    for check in checks:
        assert check.name in text and check.detail in text
    assert text.splitlines()[-1] == "All checks passed."


def test_busy_port_is_reported_with_a_fix(busy_port):
    assert not port_is_free(busy_port)
    check = check_ports({busy_port: "a test server"})
    assert check.status == WARN
    assert f"{busy_port} (a test server)" in check.detail
    assert "lsof -i :PORT" in check.fix


def test_free_port_is_ok():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The operating system just handed this port out and it is closed again: nothing listens on it.
    check = check_ports({port: "nothing"})
    assert check.status == OK and str(port) in check.detail


def test_missing_java_fails_with_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jdk"))
    check = check_java()
    assert check.status == FAIL
    assert check.detail == "Spark needs Java, and none was found on JAVA_HOME/bin/java"
    assert check.fix == JAVA_HELP

    monkeypatch.delenv("JAVA_HOME")
    monkeypatch.setenv("PATH", str(tmp_path))
    check = check_java()
    assert check.status == FAIL and check.detail.endswith("found on PATH")


def test_spark_that_cannot_start_fails_without_crashing_the_report():
    def broken():
        raise RuntimeError("Java gateway process exited before sending its port number\nmore detail")

    check, session = check_spark(broken)
    assert session is None
    assert check.status == FAIL
    assert check.detail == "Java gateway process exited before sending its port number"
    assert check_delta(None).status == FAIL


def test_report_puts_the_fix_under_each_problem():
    checks = [
        Check("java", FAIL, "no Java", "install Java 17"),
        Check("ports", WARN, "5000 in use", "stop it"),
        Check("disk", OK, "40 GB free", "never shown"),
    ]
    lines = report(checks).splitlines()
    assert lines[0].startswith(FAIL) and "java" in lines[0] and "no Java" in lines[0]
    assert lines[1].strip() == "fix: install Java 17"
    assert lines[3].strip() == "fix: stop it"
    assert "never shown" not in report(checks)
    assert lines[-1] == "1 check(s) failed: see the fixes above."


def test_programs_listening_beyond_loopback_are_reported():
    check = check_listeners(lambda: ["java (pid 42) on 0.0.0.0:4040"])
    assert check.status == WARN and "0.0.0.0:4040" in check.detail and "127.0.0.1" in check.fix


def test_a_listener_check_that_cannot_run_does_not_fail_the_report():
    def denied():
        raise PermissionError("needs admin")

    assert check_listeners(denied).status == OK


def test_a_server_on_all_interfaces_is_found():
    from mldeploy.doctor import exposed_listeners

    with socket.socket() as server:
        server.bind(("0.0.0.0", 0))
        server.listen()
        port = server.getsockname()[1]
        assert any(entry.endswith(f"0.0.0.0:{port}") for entry in exposed_listeners())


def test_the_archive_line_says_whether_the_session_maps_it(checks):
    from mldeploy.jvm_archive import archive_path

    line = next(check for check in checks if check.name == "jvm archive")
    if archive_path().is_file():
        assert line.status == OK and "mapped by this session's JVM" in line.detail, line
    else:
        assert line.status == WARN and "make setup" in line.fix, line
