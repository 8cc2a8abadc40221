"""mldeploy.jvm_archive: the driver maps the class-data archive when there is one, and never depends on it."""

from __future__ import annotations

import pytest

from mldeploy.jvm_archive import (DISABLE_VARIABLE, DRIVER_OPTIONS, archive_path, discard_archive, driver_options,
                                  mapped_by)
from mldeploy.spark import SparkTarget, session_conf


@pytest.fixture
def empty_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("MLDEPLOY_CACHE", str(tmp_path))
    monkeypatch.delenv(DISABLE_VARIABLE, raising=False)
    return tmp_path


def test_without_an_archive_the_driver_gets_no_option(empty_cache):
    assert not archive_path().exists()
    assert driver_options() == {}
    assert DRIVER_OPTIONS not in session_conf(SparkTarget("local", "local[2]"), "an-app")


def test_with_an_archive_local_and_cluster_drivers_map_it(empty_cache, monkeypatch):
    archive = archive_path()
    archive.parent.mkdir(parents=True)
    archive.write_bytes(b"recorded")
    for target in (SparkTarget("local", "local[2]"), SparkTarget("cluster", "spark://master:7077")):
        options = session_conf(target, "an-app")[DRIVER_OPTIONS].split()
        assert f"-XX:SharedArchiveFile={archive}" in options and "-Xshare:auto" in options
        assert f"-XX:ErrorFile={empty_cache / 'logs' / 'hs_err_pid%p.log'}" in options, "crash reports go to the logs"
    monkeypatch.setenv(DISABLE_VARIABLE, "off")
    assert driver_options() == {}, f"{DISABLE_VARIABLE}=off starts Spark without the archive"


def test_another_java_gets_another_archive(empty_cache, monkeypatch, tmp_path):
    first = archive_path()
    java_home = tmp_path / "other-jdk"
    (java_home / "bin").mkdir(parents=True)
    (java_home / "bin" / "java").write_text("#!/bin/sh\n")
    monkeypatch.setenv("JAVA_HOME", str(java_home))
    assert archive_path() != first and archive_path().parent == first.parent


def test_a_failed_start_discards_the_archive_it_used(empty_cache, capsys):
    archive = archive_path()
    archive.parent.mkdir(parents=True)
    archive.write_bytes(b"damaged")
    conf = {"spark.master": "local[2]"} | driver_options()
    assert discard_archive(conf) is True
    assert DRIVER_OPTIONS not in conf and not archive.exists()
    assert "make setup" in capsys.readouterr().err
    assert discard_archive(conf) is False, "a start that used no archive has nothing to fall back from"


def test_the_course_session_maps_the_archive_setup_recorded(spark):
    """`make setup` records the archive; the test session's driver must have started with it, and be sharing."""
    if not archive_path().is_file():
        pytest.skip("no class-data archive recorded (run `make setup`)")
    jvm = spark.sparkContext._jvm
    arguments = list(jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments())
    assert f"-XX:SharedArchiveFile={archive_path()}" in arguments
    # Java maps an archive it accepts and lets go of one that does not match (another class path, another Java).
    assert mapped_by(spark, archive_path()) is True, "the driver was given the archive but did not map it (see the Spark log)"
    assert mapped_by(spark, archive_path().with_name("another.jsa")) is False


def test_another_spark_installation_gets_another_archive(empty_cache, monkeypatch, tmp_path):
    """Java checks the class path's folders: a second clone's venv must not be handed the first one's archive."""
    first = archive_path()
    monkeypatch.setenv("SPARK_HOME", str(tmp_path))
    assert archive_path() != first

