"""mldeploy.spark: where Spark runs, how it is configured, Java checks and start-failure messages."""

from __future__ import annotations

import inspect
import os
import stat
import sys

import pytest

from mldeploy import paths
from mldeploy.spark import (
    DEFAULT_MASTER,
    ENV_VAR,
    JAVA_HELP,
    RESOLVED_JARS_VARIABLE,
    SparkSetupError,
    SparkTarget,
    delta_coordinate,
    kafka_coordinate,
    explain_start_failure,
    find_java,
    get_spark,
    jar_conf,
    java_major,
    remember_resolved_jars,
    require_java,
    resolved_jars_file,
    session_conf,
    spark_target,
)

# --- MLDEPLOY_SPARK ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "   "])
def test_target_defaults_to_local_spark(monkeypatch, value):
    if value is None:
        monkeypatch.delenv(ENV_VAR, raising=False)
    else:
        monkeypatch.setenv(ENV_VAR, value)
    assert spark_target() == SparkTarget("local", DEFAULT_MASTER)
    assert DEFAULT_MASTER == "local[2]"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("local[2]", SparkTarget("local", "local[2]")),
        ("local[*]", SparkTarget("local", "local[*]")),
        ("local", SparkTarget("local", "local")),
        ("spark://master.example:7077", SparkTarget("cluster", "spark://master.example:7077")),
        ("  spark://10.0.0.5:7077 ", SparkTarget("cluster", "spark://10.0.0.5:7077")),
        ("sc://localhost:15002", SparkTarget("connect", "sc://localhost:15002")),
    ],
)
def test_target_from_environment(monkeypatch, value, expected):
    monkeypatch.setenv(ENV_VAR, value)
    assert spark_target() == expected


def test_explicit_value_wins_over_environment(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "spark://elsewhere:7077")
    assert spark_target("sc://here:15002") == SparkTarget("connect", "sc://here:15002")
    assert spark_target("") == SparkTarget("local", DEFAULT_MASTER)


# "localhost:7077" is a cluster address without its scheme: it must not pass for local Spark.
@pytest.mark.parametrize("value", ["yarn", "localhost:7077", "http://master:7077", "master:7077"])
def test_bad_target_is_a_clear_error(monkeypatch, value):
    monkeypatch.setenv(ENV_VAR, value)
    with pytest.raises(SparkSetupError) as error:
        spark_target()
    message = str(error.value)
    assert f"{ENV_VAR}={value!r}" in message
    assert "spark://HOST:7077" in message and "sc://HOST:15002" in message and "local[2]" in message


# --- session settings -------------------------------------------------------------------------


def test_session_conf_for_local_spark(monkeypatch, tmp_path):
    monkeypatch.setenv("MLDEPLOY_CACHE", str(tmp_path))
    conf = session_conf(SparkTarget("local", "local[2]"), "an-app")
    assert conf["spark.master"] == "local[2]"
    assert conf["spark.app.name"] == "an-app"
    assert conf["spark.jars.packages"] == f"{delta_coordinate()},{kafka_coordinate()}"
    assert conf["spark.jars.ivy"] == str(tmp_path / "ivy") == str(paths.ivy_dir())
    assert conf["spark.sql.extensions"] == "io.delta.sql.DeltaSparkSessionExtension"
    assert conf["spark.sql.catalog.spark_catalog"] == "org.apache.spark.sql.delta.catalog.DeltaCatalog"
    assert conf["spark.pyspark.python"] == sys.executable
    assert conf["spark.pyspark.driver.python"] == sys.executable
    assert conf["spark.sql.shuffle.partitions"] == "4"
    assert conf["spark.sql.session.timeZone"] == "UTC"
    assert "spark.executor.memory" not in conf and "spark.cores.max" not in conf
    assert conf["spark.driver.bindAddress"] == conf["spark.driver.host"] == "127.0.0.1"


class _StartedWith:
    """Stands in for a started session whose ``spark.jars`` Spark set to ``jars``."""

    def __init__(self, jars: str) -> None:
        self.sparkContext = self
        self.jars = jars

    def getConf(self):
        return self

    def get(self, key, default=None):
        return self.jars if key == "spark.jars" else default


def test_jars_resolved_once_are_named_at_later_starts(monkeypatch, tmp_path):
    monkeypatch.setenv("MLDEPLOY_CACHE", str(tmp_path))
    monkeypatch.delenv(RESOLVED_JARS_VARIABLE, raising=False)
    jars = [paths.ivy_dir() / "jars" / name for name in ("io.delta_delta-spark.jar", "kafka-clients.jar")]
    for jar in jars:
        jar.parent.mkdir(parents=True, exist_ok=True)
        jar.write_bytes(b"PK")
    # As Spark lists what Ivy resolved: file URIs, comma-separated.
    remember_resolved_jars(_StartedWith(",".join(f"file://{jar}" for jar in jars)))
    assert resolved_jars_file().read_text().split() == [str(jar) for jar in jars]
    assert jar_conf() == {"spark.jars": ",".join(str(jar) for jar in jars)}
    assert "spark.jars.packages" not in session_conf(SparkTarget("local", "local[2]"), "an-app")

    monkeypatch.setenv(RESOLVED_JARS_VARIABLE, "off")  # bench/jvm_start.py's way back to Ivy
    assert jar_conf()["spark.jars.packages"] == f"{delta_coordinate()},{kafka_coordinate()}"
    monkeypatch.delenv(RESOLVED_JARS_VARIABLE)
    jars[1].unlink()  # a jar gone from the cache: Ivy resolves again
    assert jar_conf() == {"spark.jars.packages": f"{delta_coordinate()},{kafka_coordinate()}",
                          "spark.jars.ivy": str(paths.ivy_dir())}


def test_jars_from_elsewhere_are_not_remembered(monkeypatch, tmp_path):
    monkeypatch.setenv("MLDEPLOY_CACHE", str(tmp_path / "cache"))
    own = tmp_path / "my.jar"
    own.write_bytes(b"PK")
    for listed in ("", f"file://{own}", f"file://{paths.ivy_dir()}/jars/missing.jar"):
        remember_resolved_jars(_StartedWith(listed))
        assert not resolved_jars_file().exists(), listed


def test_session_conf_for_a_cluster_caps_its_share():
    conf = session_conf(SparkTarget("cluster", "spark://master:7077"), "an-app")
    assert "spark.driver.bindAddress" not in conf, "executors on other machines must reach the driver"
    assert conf["spark.master"] == "spark://master:7077"
    assert conf["spark.cores.max"] == "2"
    assert conf["spark.executor.memory"] == "1g"
    assert conf["spark.sql.extensions"] == "io.delta.sql.DeltaSparkSessionExtension"


def test_delta_coordinate_is_what_delta_pip_utils_would_add():
    from pyspark.sql import SparkSession
    from delta.pip_utils import configure_spark_with_delta_pip

    # Run delta-spark's own helper on a fresh builder (nothing is started) and read what it set.
    source = inspect.getsource(configure_spark_with_delta_pip)
    assert "spark.jars.packages" in source
    builder = configure_spark_with_delta_pip(SparkSession.Builder())
    assert builder._options["spark.jars.packages"] == delta_coordinate()


def test_kafka_connector_matches_the_installed_pyspark():
    from importlib.metadata import version

    assert kafka_coordinate() == f"org.apache.spark:spark-sql-kafka-0-10_2.13:{version('pyspark')}"


def test_delta_coordinate_names_the_installed_versions():
    from importlib.metadata import version

    spark_minor = ".".join(version("pyspark").split(".")[:2])
    assert delta_coordinate() == f"io.delta:delta-spark_{spark_minor}_2.13:{version('delta-spark')}"


# --- Java ---------------------------------------------------------------------------------------


def fake_java(folder, version_line: str):
    """A ``java`` launcher in ``folder``/bin that prints ``version_line`` as ``java -version`` does."""
    bin_dir = folder / "bin"
    bin_dir.mkdir(parents=True)
    java = bin_dir / "java"
    java.write_text(f"#!/bin/sh\necho '{version_line}' >&2\necho 'OpenJDK Runtime Environment' >&2\n")
    java.chmod(java.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return java


@pytest.fixture
def no_java(monkeypatch, tmp_path):
    """An environment where JAVA_HOME is unset and PATH holds no java."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(empty))


@pytest.mark.parametrize(
    "output, major",
    [
        ('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment', 17),
        ('openjdk version "21" 2023-09-19', 21),
        ('openjdk version "11.0.2" 2019-01-15', 11),
        ('java version "1.8.0_392"\nJava(TM) SE Runtime Environment', 8),
        ('openjdk version "25-ea" 2025-09-16', 25),
    ],
)
def test_java_major(output, major):
    assert java_major(output) == major


def test_java_major_without_a_version_is_an_error():
    with pytest.raises(ValueError, match="no Java version"):
        java_major("bash: java: command not found")


def test_find_java_prefers_java_home(monkeypatch, tmp_path):
    java = fake_java(tmp_path / "jdk", 'openjdk version "17.0.1"')
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk"))
    assert find_java() == java


def test_find_java_on_path(no_java, monkeypatch, tmp_path):
    java = fake_java(tmp_path / "jdk", 'openjdk version "17.0.1"')
    monkeypatch.setenv("PATH", f"{tmp_path / 'empty-bin'}{os.pathsep}{java.parent}")
    assert find_java() == java


def test_find_java_finds_nothing(no_java):
    assert find_java() is None


def test_java_home_pointing_nowhere_is_not_rescued_by_path(monkeypatch, tmp_path):
    # Spark's launcher runs $JAVA_HOME/bin/java whenever JAVA_HOME is set, so the check must too.
    on_path = fake_java(tmp_path / "jdk", 'openjdk version "17.0.1"')
    monkeypatch.setenv("PATH", str(on_path.parent))
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-such-jdk"))
    assert find_java() is None
    with pytest.raises(SparkSetupError) as error:
        require_java()
    assert "none was found on JAVA_HOME/bin/java" in str(error.value)
    assert JAVA_HELP in str(error.value)


def test_require_java_without_any_java(no_java):
    with pytest.raises(SparkSetupError) as error:
        require_java()
    message = str(error.value)
    assert "Spark needs Java, and none was found on PATH" in message
    assert "openjdk-17" in message and "JAVA_HOME" in message


def test_require_java_rejects_java_8(monkeypatch, tmp_path):
    java = fake_java(tmp_path / "jdk8", 'java version "1.8.0_392"')
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk8"))
    with pytest.raises(SparkSetupError) as error:
        require_java()
    assert f"Spark 4 needs Java 17+, but {java} is Java 8" in str(error.value)


@pytest.mark.parametrize(
    "line, major", [('openjdk version "17.0.15" 2025-04-15', 17), ('openjdk version "21.0.2" 2024-01-16', 21)]
)
def test_require_java_accepts_17_and_newer(monkeypatch, tmp_path, line, major):
    fake_java(tmp_path / "jdk", line)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk"))
    assert require_java() == major


def test_require_java_with_an_explicit_environment(tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    with pytest.raises(SparkSetupError, match="none was found on PATH"):
        require_java({"PATH": str(empty)})


def test_this_machine_has_java_17_or_newer():
    assert require_java() >= 17


# --- start failures -----------------------------------------------------------------------------

IVY_NOT_FOUND = """\
:: resolving dependencies :: org.apache.spark#spark-submit-parent;1.0
:: problems summary ::
:::: WARNINGS
		module not found: io.delta#delta-spark_4.2_2.13;4.4.0
		::::::::::::::::::::::::::::::::::::::::::::::
		::          UNRESOLVED DEPENDENCIES         ::
		::::::::::::::::::::::::::::::::::::::::::::::
Exception in thread "main" java.lang.RuntimeException: [unresolved dependency: io.delta#delta-spark_4.2_2.13;4.4.0: not found]
"""
IVY_OFFLINE = """\
:: resolving dependencies :: org.apache.spark#spark-submit-parent;1.0
	Server access error at url https://repo1.maven.org/maven2/io/delta/ (java.net.UnknownHostException: repo1.maven.org)
"""


@pytest.mark.parametrize("log_text", [IVY_NOT_FOUND, IVY_OFFLINE], ids=["unresolved", "offline"])
def test_jar_download_failure_says_how_to_fill_the_cache(monkeypatch, tmp_path, log_text):
    monkeypatch.setenv("MLDEPLOY_CACHE", str(tmp_path))
    message = explain_start_failure(log_text, RuntimeError("Java gateway process exited"))
    assert "could not download the Delta Lake and Kafka jars" in message
    assert delta_coordinate() in message and kafka_coordinate() in message
    assert str(tmp_path / "ivy") in message
    assert "make setup" in message and "python -m mldeploy jars" in message
    assert f"mvn dependency:get -Dartifact={delta_coordinate()}" in message


def test_other_start_failure_shows_the_error_and_the_log_tail():
    log_text = "\n".join(f"log line {number:02d}" for number in range(1, 21)) + "\n\n"
    error = RuntimeError("Java gateway process exited before sending its port number")
    message = explain_start_failure(log_text, error)
    assert "RuntimeError: Java gateway process exited before sending its port number" in message
    assert "python -m mldeploy doctor" in message
    assert message.splitlines()[-15:] == [f"log line {number:02d}" for number in range(6, 21)]
    assert "log line 05" not in message
    assert "could not download" not in message


def test_start_failure_with_an_empty_log():
    message = explain_start_failure("", OSError("no space left on device"))
    assert "OSError: no space left on device" in message


# --- the live session ---------------------------------------------------------------------------


def test_get_spark_returns_the_one_session(spark):
    assert get_spark() is spark


def test_live_session_has_delta_and_the_course_settings(spark):
    if spark_target().kind == "connect":
        pytest.skip("a Spark Connect server has its own settings")
    assert spark.sparkContext.master == spark_target().url
    assert spark.conf.get("spark.sql.extensions") == "io.delta.sql.DeltaSparkSessionExtension"
    assert spark.conf.get("spark.sql.catalog.spark_catalog") == "org.apache.spark.sql.delta.catalog.DeltaCatalog"
    assert spark.conf.get("spark.sql.shuffle.partitions") == "4"
    # The Delta and Kafka jars: resolved by Ivy (spark.jars.packages) at the first start, named after that.
    jars = spark.sparkContext.getConf().get("spark.jars", "")
    assert "delta-spark_" in jars and "spark-sql-kafka-0-10_2.13" in jars, jars


def test_python_workers_run_this_interpreter(spark):
    from pyspark.sql import functions as F

    @F.udf("string")
    def worker_python(_):
        import sys

        return sys.executable

    (row,) = spark.range(1).select(worker_python("id").alias("python")).collect()
    assert row.python == sys.executable


def test_delta_round_trip_with_time_travel(spark, tmp_path):
    path = str(tmp_path / "numbers")
    spark.range(3).write.format("delta").save(path)
    spark.range(10, 12).write.format("delta").mode("overwrite").save(path)

    latest = spark.read.format("delta").load(path)
    first = spark.read.format("delta").option("versionAsOf", 0).load(path)
    assert sorted(row.id for row in latest.collect()) == [10, 11]
    assert sorted(row.id for row in first.collect()) == [0, 1, 2]

    history = spark.sql(f"DESCRIBE HISTORY delta.`{path}`").orderBy("version").collect()
    assert [row.version for row in history] == [0, 1]
    assert history[1].operationParameters["mode"] == "Overwrite"


def test_local_spark_listens_on_loopback_only(spark):
    """The driver, block manager and UI of a laptop's Spark are not reachable from the network."""
    import psutil

    from mldeploy.doctor import exposed_listeners

    spark.range(3).count()
    ours = {psutil.Process().pid} | {child.pid for child in psutil.Process().children(recursive=True)}
    exposed = [entry for entry in exposed_listeners() if any(f"(pid {pid})" in entry for pid in ours)]
    assert not exposed, f"Spark listens beyond loopback: {exposed}"
    assert spark.sparkContext.uiWebUrl.startswith("http://127.0.0.1:")
