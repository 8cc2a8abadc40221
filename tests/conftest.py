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


@pytest.fixture(scope="session")
def course_root() -> Path:
    """The course folder: where pyproject.toml, environment.yml and datasets/ live."""
    return COURSE_ROOT


@pytest.fixture(scope="session")
def spark():
    """The course's SparkSession with Delta Lake (``mldeploy.get_spark``), stopped after the last test."""
    from mldeploy import get_spark

    session = get_spark("mldeploy-tests")
    yield session
    session.stop()


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
