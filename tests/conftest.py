"""Fixtures shared by every test module.

One SparkSession serves the whole test session: a JVM start costs most of a test run on 2 cores, so
no test starts or stops its own. Tests that only need Python (pins, replay planning, messages) do
not ask for it, and run without a JVM.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from blank_grading import BLANK_TEST, LESSONS, OVERLAP, copy_course, release_course, start_blank_gradings

if OVERLAP:
    # The blank gradings run beside every test (see blank_grading.py): with the other core busy, an OpenMP
    # thread that waits for it spins, and a scikit-learn fit of 0.5 s took 8-40 s. One thread each, for this
    # process and the Spark workers, streams and servers it starts. Set before anything loads OpenMP.
    os.environ.setdefault("OMP_NUM_THREADS", "1")

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
def released_course(tmp_path_factory) -> Path:
    """The course's nbgrader parts in a temporary folder, each lesson released once into ``release/``."""
    return release_course(tmp_path_factory.mktemp("course"))


@pytest.fixture(scope="session")
def course_for(released_course, tmp_path_factory):
    """``course_for(learner)``: a copy of the released course for one learner's gradings."""
    return lambda learner: copy_course(released_course, tmp_path_factory.mktemp(f"course-{learner}"))


@pytest.fixture(scope="session", autouse=True)
def blank_grading(request, tmp_path_factory):
    """Lesson -> the future grading of its untouched student notebook, for the lessons this run tests.

    Autouse: the gradings start before the session's first test, in their own process, so they overlap the
    whole suite (``-k 04_streaming`` grades one blank; a run without those tests grades none).
    """
    lessons = [lesson for lesson in LESSONS if any(
        item.originalname == BLANK_TEST and item.callspec.params["lesson"] == lesson for item in request.session.items)]
    if not lessons:
        yield {}
        return
    course = request.getfixturevalue("course_for")("blank")  # released only when a blank is to be graded
    futures, pool = start_blank_gradings(lessons, course, tmp_path_factory.mktemp("submitted-blank"))
    yield futures
    if pool:
        pool.shutdown(wait=True, cancel_futures=True)


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
                                "on one core, in a background process from the session's start (MLDEPLOY_TEST_OVERLAP=0 "
                                "runs it when its test asks, on both cores).")
