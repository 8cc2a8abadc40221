"""Fixtures shared by every test module.

One SparkSession serves the whole test session: a JVM start costs most of a test run on 2 cores, so
no test starts or stops its own. Tests that only need Python (pins, replay planning, messages) do
not ask for it, and run without a JVM.
"""

from __future__ import annotations

from pathlib import Path

import pytest

#: The course folder (tests/ lives directly in it).
COURSE_ROOT = Path(__file__).resolve().parents[1]
LESSON_TIMINGS = pytest.StashKey[dict]()


@pytest.fixture(scope="session")
def course_root() -> Path:
    """The course folder: where pyproject.toml, environment.yml and datasets/ live."""
    return COURSE_ROOT


@pytest.fixture(scope="session")
def spark():
    """The course's SparkSession with Delta Lake (``mldeploy.get_spark``), stopped after the last test.

    It serves Spark Connect too, as lesson 05's does, for the pipeline tests' ``spark-pipelines`` runs.
    """
    from mldeploy import get_spark

    session = get_spark("mldeploy-tests", connect_server=True)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory):
    """One local Kafka broker (``mldeploy.start_kafka``) for the tests that need one; each test uses its own topics.

    ``KAFKA_BOOTSTRAP_SERVERS`` set: the tests use that cluster instead, as the lessons do.
    """
    from mldeploy import start_kafka

    broker = start_kafka(tmp_path_factory.mktemp("kafka"))
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def lake(spark) -> Path:
    """The data lake's folder, built first if a table is missing (``make test`` builds it beforehand).

    Like ``read_table``, it only looks for each table's Delta log; whether the tables are complete
    is for tests/test_lake.py to check (counting every table here would cost each test session).
    """
    from mldeploy import TABLES, build_lake, table_path

    folders = [Path(table_path(name)) for name in TABLES]
    if not all((folder / "_delta_log").is_dir() for folder in folders):
        build_lake(spark, progress=False)
    return folders[0].parent


@pytest.fixture(scope="session")
def lesson_timings(pytestconfig) -> dict[str, dict[str, float]]:
    """lesson -> {run: seconds} for each execution of a lesson; printed at the end of the session."""
    return pytestconfig.stash.setdefault(LESSON_TIMINGS, {})


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """A table of each lesson's executions, so the suite's growth stays visible."""
    timings = config.stash.get(LESSON_TIMINGS, {})
    if not timings:
        return
    runs = ("nbval", "reference", "blank")
    terminalreporter.section("lesson executions (seconds)")
    terminalreporter.write_line(f"{'lesson':<28}" + "".join(f"{run:>11}" for run in runs) + f"{'total':>11}")
    for lesson, seconds in sorted(timings.items()):
        cells = "".join(f"{seconds[run]:>11.1f}" if run in seconds else f"{'-':>11}" for run in runs)
        terminalreporter.write_line(f"{lesson:<28}{cells}{sum(seconds.values()):>11.1f}")
    terminalreporter.write_line("nbval runs the solution once; 'reference' grades that run's outputs "
                                "(no second execution); 'blank' is nbgrader executing the untouched notebook "
                                "on one core, in the background while nbval runs (MLDEPLOY_TEST_OVERLAP=0 runs "
                                "it afterwards, on both cores).")
