"""``python -m mldeploy doctor``: is this machine ready for the course? Each problem comes with its fix.

Checks Python, Java, Spark (and its class-data archive), a Delta write and read, the MLflow database, free
ports, disk space and the data lake, and prints one table. A failed check means a lesson will fail; a warning means
something to know (a port taken, a lake not built yet) that the course works around.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .jvm_archive import DISABLE_VARIABLE, archive_path, mapped_by
from .ports import port_is_free
from .tracking_db import empty_database

OK, WARN, FAIL = "ok", "warn", "FAIL"

#: Ports the course's servers use by default (each falls back to a free port when taken).
COURSE_PORTS = {5000: "MLflow UI", 5001: "model serving", 7077: "Spark standalone master", 9092: "Kafka broker",
                15002: "Spark Connect"}
MIN_FREE_GB = 2.0


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report."""

    name: str
    status: str
    detail: str
    fix: str = ""


def check_python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info < (3, 11):
        return Check("python", FAIL, version, "Use Python 3.11-3.13: `make setup PYTHON=python3.11`.")
    in_venv = sys.prefix != sys.base_prefix or "CONDA_PREFIX" in os.environ
    fix = "" if in_venv else "Run the course from its venv: `make lab`, or `source .venv/bin/activate`."
    return Check("python", OK if in_venv else WARN, f"{version} at {sys.executable}", fix)


def check_java() -> Check:
    from .spark import JAVA_HELP, SparkSetupError, find_java, require_java

    try:
        major = require_java()
    except SparkSetupError as error:
        return Check("java", FAIL, str(error).split(". ")[0], JAVA_HELP)
    return Check("java", OK, f"Java {major} at {find_java()}")


def check_spark_home() -> Check:
    import pyspark

    bundled = Path(pyspark.__file__).parent
    home = os.environ.get("SPARK_HOME")
    if home and Path(home).resolve() != bundled.resolve():
        return Check(
            "SPARK_HOME", WARN, f"set to {home}", "Unset SPARK_HOME so pyspark uses its own Spark: `unset SPARK_HOME`."
        )
    return Check("SPARK_HOME", OK, "pyspark's own Spark")


def check_spark(get_session: Callable) -> tuple[Check, object | None]:
    from .spark import spark_log_path, spark_target

    started = time.perf_counter()
    try:
        spark = get_session()
    except Exception as error:  # report it, never crash the report
        return Check("spark", FAIL, str(error).splitlines()[0][:200], f"See {spark_log_path()}."), None
    seconds = time.perf_counter() - started
    target = spark_target()
    return Check("spark", OK, f"Spark {spark.version} on {target.url} ({seconds:.1f} s)"), spark


def check_delta(spark) -> Check:
    if spark is None:
        return Check("delta", FAIL, "skipped: Spark did not start", "Fix the spark line first.")
    with tempfile.TemporaryDirectory(prefix="mldeploy-doctor-") as folder:
        path = str(Path(folder) / "table")
        try:
            spark.range(5).write.format("delta").save(path)
            rows = spark.read.format("delta").load(path).count()
            versions = spark.sql(f"DESCRIBE HISTORY delta.`{path}`").count()
        except Exception as error:
            return Check(
                "delta", FAIL, str(error).splitlines()[0][:200],
                "Delta's jars or settings are missing: start Spark with mldeploy.get_spark().",
            )
    if rows != 5 or versions != 1:
        return Check("delta", FAIL, f"wrote 5 rows, read {rows}; {versions} versions", "Report this as a bug.")
    return Check("delta", OK, "wrote and read back a Delta table")


def check_mlflow() -> Check:
    import mlflow

    configured = os.environ.get("MLFLOW_TRACKING_URI")
    with tempfile.TemporaryDirectory(prefix="mldeploy-doctor-") as folder:
        uri = configured or f"sqlite:///{folder}/mlflow.db"
        try:
            if not configured:  # the migrated empty database a lesson's mlflow.db starts from (made once)
                shutil.copyfile(empty_database(), Path(folder) / "mlflow.db")
            client = mlflow.MlflowClient(tracking_uri=uri)
            if configured:
                client.search_experiments(max_results=1)
            else:
                experiment = client.create_experiment("doctor", artifact_location=Path(folder, "artifacts").as_uri())
                run = client.create_run(experiment)
                client.log_metric(run.info.run_id, "ok", 1.0)
                assert client.get_run(run.info.run_id).data.metrics["ok"] == 1.0
        except Exception as error:
            fix = (
                f"Check that the server at MLFLOW_TRACKING_URI={configured} is running, or unset it."
                if configured
                else "Reinstall MLflow: `rm -rf .venv && make setup`."
            )
            return Check("mlflow", FAIL, str(error).splitlines()[0][:200], fix)
    where = configured or "a local SQLite database (sqlite:///mlflow.db beside each notebook)"
    return Check("mlflow", OK, f"MLflow {mlflow.__version__}, tracking to {where}")


def check_ports(ports: dict[int, str] = COURSE_PORTS) -> Check:
    taken = [f"{port} ({use})" for port, use in ports.items() if not port_is_free(port)]
    if taken:
        return Check(
            "ports", WARN, "in use: " + ", ".join(taken),
            "The course picks another free port when a default is taken; to free one, find its "
            "program with `lsof -i :PORT` (or `ss -ltnp`) and stop it.",
        )
    return Check("ports", OK, "free: " + ", ".join(map(str, ports)))


def exposed_listeners() -> list[str]:
    """Programs of this user listening on an address other machines can reach (not loopback)."""
    import psutil

    found = set()
    for conn in psutil.net_connections(kind="inet"):
        if conn.status != psutil.CONN_LISTEN or not conn.laddr:
            continue
        address = ipaddress.ip_address(conn.laddr.ip.split("%")[0])
        if (getattr(address, "ipv4_mapped", None) or address).is_loopback:  # ::ffff:127.0.0.1 too
            continue
        try:
            process = psutil.Process(conn.pid) if conn.pid else None
            if process is not None and process.uids().real != os.getuid():
                continue
            name = f"{process.name()} (pid {conn.pid})" if process else "unknown program"
        except psutil.Error:
            name = f"pid {conn.pid}"
        found.add(f"{name} on {conn.laddr.ip}:{conn.laddr.port}")
    return sorted(found)


def check_listeners(find: Callable[[], list[str]] = exposed_listeners) -> Check:
    try:
        exposed = find()
    except Exception as error:  # e.g. macOS needs admin rights to list other processes' sockets
        return Check("listening", OK, f"could not list listening sockets ({type(error).__name__}); "
                                      "`lsof -iTCP -sTCP:LISTEN` shows them")
    if exposed:
        return Check(
            "listening", WARN, "reachable from the network: " + "; ".join(exposed[:6]),
            "The course binds its servers and local Spark to 127.0.0.1. Stop these programs if you did not "
            "mean to share them (a Spark started without mldeploy.get_spark() listens on all interfaces).",
        )
    return Check("listening", OK, "nothing of yours listens beyond 127.0.0.1")


def check_disk(folder: Path | None = None) -> Check:
    from .paths import cache_dir

    folder = folder or cache_dir()
    free_gb = shutil.disk_usage(folder).free / 1e9
    if free_gb < MIN_FREE_GB:
        return Check("disk", WARN, f"{free_gb:.1f} GB free at {folder}", f"Free at least {MIN_FREE_GB:.0f} GB.")
    return Check("disk", OK, f"{free_gb:.0f} GB free at {folder}")


def check_lake() -> Check:
    from .lake import TABLES, table_path

    missing = [name for name in TABLES if not (Path(table_path(name)) / "_delta_log").is_dir()]
    if missing:
        return Check(
            "lake", WARN, "not built: " + ", ".join(missing),
            "Run `make setup` (about 30 s); lessons also build it on first use.",
        )
    return Check("lake", OK, f"{len(TABLES)} Delta tables at {Path(table_path(TABLES[0])).parent}")


def check_jvm_archive(spark) -> Check:
    """Spark starts faster with the class-data archive ``make setup`` records; it works without, only slower."""
    if os.environ.get(DISABLE_VARIABLE) == "off":
        return Check("jvm archive", OK, f"not used ({DISABLE_VARIABLE}=off)")
    path = archive_path()
    if not path.is_file():
        return Check("jvm archive", WARN, "not recorded: Spark starts about 20% slower",
                     "Run `make setup` (records it once, about a minute).")
    mapped = None if spark is None else mapped_by(spark, path)
    if mapped is False:
        return Check("jvm archive", WARN, f"{path} is not mapped by this session's JVM: Java refused it",
                     f"Record it again: `rm {path}` then `make setup` (the Spark log says why Java refused it).")
    where = "mapped by this session's JVM" if mapped else "given to every Spark start"
    return Check("jvm archive", OK, f"{path} ({path.stat().st_size / 1e6:.0f} MB), {where}")


def check_kafka() -> Check:
    """The broker's jars are cached (a lesson starts it offline), or KAFKA_BOOTSTRAP_SERVERS names a cluster."""
    from .kafka import BOOTSTRAP_VARIABLE, KAFKA_VERSION, broker_jars_dir

    if os.environ.get(BOOTSTRAP_VARIABLE):
        return Check("kafka", OK, f"{BOOTSTRAP_VARIABLE}={os.environ[BOOTSTRAP_VARIABLE]} (no local broker needed)")
    if not (broker_jars_dir() / ".complete").exists():
        return Check("kafka", WARN, f"Kafka {KAFKA_VERSION} broker jars not cached",
                     "Run `make setup` once while online (about 45 jars, 43 MB), or set KAFKA_BOOTSTRAP_SERVERS.")
    return Check("kafka", OK, f"Kafka {KAFKA_VERSION} broker jars in {broker_jars_dir()}")


def run_doctor(spark=None) -> list[Check]:
    """Run every check; pass the lesson's session as ``spark`` to reuse it instead of starting one."""
    from .spark import get_spark

    checks = [check_python(), check_java(), check_spark_home()]
    spark_check, session = check_spark(lambda: spark if spark is not None else get_spark("mldeploy-doctor"))
    checks += [spark_check, check_jvm_archive(session), check_delta(session), check_mlflow(), check_kafka(), check_ports(),
               check_listeners(), check_disk(), check_lake()]
    return checks


def report(checks: list[Check]) -> str:
    """The checks as a plain-text table, with a fix under each problem."""
    width = max(len(check.name) for check in checks)
    lines = []
    for check in checks:
        lines.append(f"{check.status:<4}  {check.name:<{width}}  {check.detail}")
        if check.fix and check.status != OK:
            lines.append(f"{'':<4}  {'':<{width}}  fix: {check.fix}")
    failed = sum(check.status == FAIL for check in checks)
    lines.append("All checks passed." if not failed else f"{failed} check(s) failed: see the fixes above.")
    return "\n".join(lines)


def main() -> int:
    checks = run_doctor()
    print(report(checks))
    return 1 if any(check.status == FAIL for check in checks) else 0
