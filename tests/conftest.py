"""Fixtures shared by every test module.

One SparkSession serves the whole test session: a JVM start costs most of a test run on 2 cores, so
no test starts or stops its own. Tests that only need Python (pins, replay planning, messages) do
not ask for it, and run without a JVM.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from background import BLANK_TEST, LESSON_TIMEOUT_SECONDS, LESSONS, NBVAL_TEST, OVERLAP, copy_course, start_background

if OVERLAP:
    # The blank gradings run beside every test (see background.py): with the other core busy, an OpenMP
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
def released_course(background) -> Path:
    """The course's nbgrader parts in a temporary folder, each lesson released once into ``release/``.

    The background process makes it first thing (see ``background``), so no test waits for it.
    """
    return background.released.result(timeout=LESSON_TIMEOUT_SECONDS)


@pytest.fixture(scope="session")
def course_for(released_course, tmp_path_factory):
    """``course_for(learner)``: a copy of the released course for one learner's gradings."""
    return lambda learner: copy_course(released_course, tmp_path_factory.mktemp(f"course-{learner}"))


def lessons_of(session: pytest.Session, test: str) -> list[Path]:
    """The lessons for which this run holds ``test`` (a test of tests/test_notebooks.py, one per lesson)."""
    return [lesson for lesson in LESSONS if any(
        item.originalname == test and item.callspec.params["lesson"] == lesson for item in session.items)]


@pytest.fixture(scope="session", autouse=True)
def background(request, tmp_path_factory):
    """The second lane (tests/background.py): the course's release, the blank gradings, then the last nbval runs.

    Autouse: it starts before the session's first test, in its own process, so it overlaps the whole suite
    (``-k 04_streaming`` grades one blank; a run without those tests grades none, and releases the course only
    if a test asks for it).
    """
    lane = start_background(lessons_of(request.session, BLANK_TEST), lessons_of(request.session, NBVAL_TEST),
                            tmp_path_factory.mktemp("background"))
    yield lane
    if lane.pool:
        lane.pool.shutdown(wait=True, cancel_futures=True)


def pytest_collection_modifyitems(session, config, items) -> None:
    """tests/test_notebooks.py runs last: the background lane takes its last nbval runs once the blanks are done."""
    items.sort(key=lambda item: item.path.name == "test_notebooks.py")  # a stable sort: the order is otherwise kept


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
    terminalreporter.write_line("nbval runs the solution once (in the foreground, or, for the shortest lessons, in the "
                                "background process once the blanks are graded); 'reference' grades that run's "
                                "outputs (no second execution); 'blank' is nbgrader executing the untouched notebook "
                                "on one core, in the background process from the session's start "
                                "(MLDEPLOY_TEST_OVERLAP=0 runs everything in the foreground, on both cores).")
