"""One SparkSession with Delta Lake, tuned for a 2-core laptop, and pointable at a cluster.

``get_spark()`` starts local Spark by default. Set ``MLDEPLOY_SPARK`` to run the very same
notebooks elsewhere:

- ``local[2]`` (default) -- Spark inside this Python process's JVM
- ``spark://HOST:7077`` -- a standalone cluster master
- ``sc://HOST:15002`` -- a Spark Connect server (which must itself have Delta Lake configured)

The Delta jars and Spark's Kafka connector are resolved by Spark's own Ivy into ``~/.cache/mldeploy/ivy`` on the first start;
later starts name the jar files it resolved (``jar_conf``), so they need no network and no resolution. The JVM's log goes to
``~/.cache/mldeploy/logs`` rather than into notebook cells.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Iterator, Mapping
from urllib.parse import urlparse

from .jvm_archive import discard_archive, driver_options
from .paths import ivy_dir, log_dir
from .ports import LOOPBACK, PortReservation, reserve_port

ENV_VAR = "MLDEPLOY_SPARK"
MIN_JAVA = 17
DEFAULT_MASTER = "local[2]"
#: Spark Connect's plugin (its jar ships with pyspark) and the port it prefers (pyspark's default).
CONNECT_PLUGIN = "org.apache.spark.sql.connect.SparkConnectPlugin"
CONNECT_PORT = 15002
#: Set to ``off`` to have Ivy resolve the packages at every start (``bench/jvm_start.py`` compares both ways).
RESOLVED_JARS_VARIABLE = "MLDEPLOY_RESOLVED_JARS"
_connect_port: PortReservation | None = None


class SparkSetupError(RuntimeError):
    """Spark could not start for a reason the learner can fix; the message says how."""


@dataclass(frozen=True)
class SparkTarget:
    """Where the session runs: ``local``, a standalone ``cluster`` or a Spark ``connect`` server."""

    kind: str
    url: str


def spark_target(value: str | None = None) -> SparkTarget:
    """Read the target from ``MLDEPLOY_SPARK`` (or ``value``); local Spark when it is unset."""
    text = (os.environ.get(ENV_VAR, "") if value is None else value).strip()
    if not text:
        return SparkTarget("local", DEFAULT_MASTER)
    if text == "local" or text.startswith("local["):  # not "localhost:7077", a cluster without spark://
        return SparkTarget("local", text)
    for prefix, kind in (("spark://", "cluster"), ("sc://", "connect")):
        if text.startswith(prefix):
            return SparkTarget(kind, text)
    raise SparkSetupError(
        f"{ENV_VAR}={text!r} is not a Spark address. Use local[2] (the default), "
        f"spark://HOST:7077 for a standalone cluster or sc://HOST:15002 for Spark Connect, "
        f"or unset {ENV_VAR}."
    )


def delta_coordinate() -> str:
    """The Maven coordinate of the Delta jar matching the installed pyspark and delta-spark."""
    spark_minor = ".".join(version("pyspark").split(".")[:2])
    return f"io.delta:delta-spark_{spark_minor}_2.13:{version('delta-spark')}"


def kafka_coordinate() -> str:
    """Spark's Kafka connector (``format("kafka")``) for the installed pyspark; it is not in pyspark's own jars."""
    return f"org.apache.spark:spark-sql-kafka-0-10_2.13:{version('pyspark')}"


def packages() -> str:
    """Every session gets Delta and the Kafka connector (resolved once, then named as files: ``jar_conf``)."""
    return f"{delta_coordinate()},{kafka_coordinate()}"


def resolved_jars_file() -> Path:
    """Where the jars Ivy resolved for ``packages()`` are listed (one file per set of packages)."""
    key = hashlib.sha1(packages().encode()).hexdigest()[:12]
    return ivy_dir() / f"resolved-{key}.txt"


def jar_conf() -> dict[str, str]:
    """Delta's and Kafka's jars: the files Ivy resolved at an earlier start, else the packages to resolve.

    With every jar cached, Spark's Ivy still resolves ``spark.jars.packages`` at each JVM start (start 7.5 s
    with it, 5.1 s without, in ``bench/jvm_start.py``: every lesson, test and stream process pays it). Naming
    the resolved files in ``spark.jars`` loads the same jars without it; a listed jar gone from the cache means
    resolving again.
    """
    listed = resolved_jars_file()
    jars = listed.read_text().split() if listed.is_file() and os.environ.get(RESOLVED_JARS_VARIABLE) != "off" else []
    if jars and all(Path(jar).is_file() for jar in jars):
        return {"spark.jars": ",".join(jars)}
    return {"spark.jars.packages": packages(), "spark.jars.ivy": str(ivy_dir())}


def remember_resolved_jars(spark) -> None:
    """After a start that resolved the packages, list the jar files Ivy put in ``spark.jars`` for the next."""
    listed_by_spark = spark.sparkContext.getConf().get("spark.jars", "")
    jars = [Path(urlparse(jar).path) for jar in listed_by_spark.split(",") if jar]
    if not jars or not all(jar.is_file() and jar.is_relative_to(ivy_dir()) for jar in jars):
        return  # nothing resolved, or jars from elsewhere: keep resolving
    listed = resolved_jars_file()
    partial = listed.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text("".join(f"{jar}\n" for jar in jars))
    partial.replace(listed)  # atomic: a session starting meanwhile reads the old list or the new one


def session_conf(target: SparkTarget, app_name: str) -> dict[str, str]:
    """The settings of a JVM-backed session: Delta on, small and quiet for 2 cores."""
    conf = {
        "spark.master": target.url,
        "spark.app.name": app_name,
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        # Python workers must run this interpreter, or they miss the course's packages.
        "spark.pyspark.python": sys.executable,
        "spark.pyspark.driver.python": sys.executable,
        "spark.driver.memory": "2g",
        "spark.sql.shuffle.partitions": "4",
        # Delta reads its log with 50 tasks by default: seconds of overhead per query on 2 cores.
        "spark.databricks.delta.snapshotPartitions": "2",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.ui.showConsoleProgress": "false",
    }
    conf |= jar_conf()
    if target.kind == "cluster":
        conf |= {"spark.executor.memory": "1g", "spark.cores.max": "2"}
    conf |= driver_options()  # the driver JVM maps its class-data archive when setup has made one
    if target.kind == "local":
        # Nothing of a laptop's Spark should be reachable from the café's Wi-Fi: the driver, its block
        # manager and the UI listen on loopback only (a cluster keeps the network it needs).
        conf |= {"spark.driver.host": LOOPBACK, "spark.driver.bindAddress": LOOPBACK}
    return conf


def find_java(env: Mapping[str, str] | None = None) -> Path | None:
    """The java launcher Spark will use: ``$JAVA_HOME/bin/java``, else the first on PATH."""
    env = os.environ if env is None else env
    if env.get("JAVA_HOME"):
        candidate = Path(env["JAVA_HOME"]) / "bin" / "java"
        return candidate if candidate.exists() else None
    found = shutil.which("java", path=env.get("PATH"))
    return Path(found) if found else None


def java_major(version_output: str) -> int:
    """The major version in ``java -version`` output (``"17.0.15"`` -> 17, ``"1.8.0"`` -> 8)."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if not match:
        raise ValueError(f"no Java version in: {version_output[:200]!r}")
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


JAVA_HELP = (
    "Install a Java 17 (or 21) runtime and make sure `java -version` works or JAVA_HOME points "
    "at it: Debian/Ubuntu/WSL `sudo apt install openjdk-17-jre-headless`, macOS "
    "`brew install openjdk@17`, conda `conda install -c conda-forge openjdk=17`."
)


def require_java(env: Mapping[str, str] | None = None) -> int:
    """Fail early, with the fix, when Spark has no Java or too old a Java to start."""
    java = find_java(env)
    if java is None:
        where = "JAVA_HOME/bin/java" if (env or os.environ).get("JAVA_HOME") else "PATH"
        raise SparkSetupError(f"Spark needs Java, and none was found on {where}. {JAVA_HELP}")
    output = subprocess.run([str(java), "-version"], capture_output=True, text=True).stderr
    major = java_major(output)
    if major < MIN_JAVA:
        raise SparkSetupError(f"Spark 4 needs Java {MIN_JAVA}+, but {java} is Java {major}. {JAVA_HELP}")
    return major


def explain_start_failure(log_text: str, error: BaseException) -> str:
    """Turn a failed JVM start into one message that says what to do."""
    jar_trouble = re.search(
        r"unresolved dependency|UnresolvedDependency|java\.net\.UnknownHostException|"
        r"Connection (refused|timed out)|Server access error|download failed",
        log_text,
    )
    if jar_trouble:
        return (
            f"Spark could not download the Delta Lake and Kafka jars ({packages()}) into "
            f"{ivy_dir()}. Connect to the internet once and run `make setup` (or "
            f"`python -m mldeploy jars`); afterwards Spark starts offline from that cache. "
            f"Behind a proxy, fill Maven's cache instead, which Spark also reads: "
            f"`mvn dependency:get -Dartifact={delta_coordinate()}` and the same for {kafka_coordinate()}."
        )
    tail = "\n".join(log_text.strip().splitlines()[-15:])
    return (
        f"Spark did not start ({type(error).__name__}: {error}). Run `python -m mldeploy doctor` "
        f"to check Java, ports and disk. Last lines of the Spark log:\n{tail}"
    )


@contextmanager
def _process_output_to(path: Path) -> Iterator[None]:
    """Point this process's stdout/stderr file descriptors at ``path`` for the block.

    A JVM started inside the block keeps writing there, so Ivy's download report and Spark's
    warnings stay out of notebook cells; Python's own prints are unaffected.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(path, "ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)


def connect_server_conf(port: int) -> dict[str, str]:
    """Settings that make a session also serve Spark Connect on ``127.0.0.1:port`` (in its own JVM).

    Clients such as ``spark-pipelines`` then run on this session's JVM (its jars, its catalog, its cluster)
    instead of starting one of their own; tables they create without a format are Delta tables.
    """
    return {
        "spark.plugins": CONNECT_PLUGIN,
        "spark.connect.grpc.binding.address": LOOPBACK,
        "spark.connect.grpc.binding.port": str(port),
        "spark.sql.sources.default": "delta",
    }


def get_spark(app_name: str = "mldeploy", connect_server: bool = False):
    """Return the SparkSession for this process, starting it (with Delta Lake) on first call.

    Calling it again returns the same session: a lesson uses one session throughout. With
    ``connect_server`` the session also serves Spark Connect on a free loopback port (see
    ``connect_server_conf``); a session that is itself a Spark Connect client needs no server of its own.
    """
    from pyspark.sql import SparkSession

    target = spark_target()
    if target.kind == "connect":
        return SparkSession.builder.remote(target.url).appName(app_name).getOrCreate()

    active = SparkSession.getActiveSession()
    if active is not None:
        return active

    conf = session_conf(target, app_name)
    if connect_server:
        global _connect_port
        _connect_port = reserve_port(CONNECT_PORT)  # held until this process ends: no other lesson takes it
        conf |= connect_server_conf(_connect_port.port)
    return start_session(target, conf)


def start_session(target: SparkTarget, conf: dict[str, str], fall_back: bool = True):
    """Start a JVM-backed session with ``conf``, its JVM's output in the log, a failure explained.

    A JVM that fails to start on the class-data archive is retried once without it (``fall_back``).
    """
    from pyspark.sql import SparkSession

    require_java()
    if target.kind == "local":
        os.environ["SPARK_LOCAL_IP"] = LOOPBACK  # the address Spark's web UI binds to
    # Python workers run PYSPARK_PYTHON (else whatever `python3` is on PATH), whatever the conf says.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder
    for key, value in conf.items():
        builder = builder.config(key, value)
    log = spark_log_path()
    try:
        with _process_output_to(log):
            session = builder.getOrCreate()
    except Exception as error:  # the JVM did not come up: say why, in words a learner can act on
        if fall_back and discard_archive(conf):
            return start_session(target, conf, fall_back=False)
        text = log.read_text(errors="replace") if log.exists() else ""
        raise SparkSetupError(explain_start_failure(text, error)) from error
    if "spark.jars.packages" in conf:
        remember_resolved_jars(session)
    return session


def spark_log_path() -> Path:
    """The file this process's Spark JVM writes its log to."""
    return log_dir() / f"spark-{os.getpid()}.log"
