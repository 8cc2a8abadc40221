"""A class-data archive of Spark's JVM, so that each lesson starts Spark and runs its first query sooner.

Every new Spark JVM loads and verifies tens of thousands of classes before its first Delta query answers:
on a 2-core laptop about 9 s to start and 8 s more for that first query, in every lesson, test and
stream process. Java's application class-data sharing (AppCDS) keeps those classes, already parsed and
verified, in an archive file that later JVMs map into memory instead. ``python -m mldeploy prepare``
(``make setup``) records one representative session -- the lake read, a pandas round trip, Delta writes,
a MERGE and a Z-order, a pandas UDF, a stream -- with ``-XX:ArchiveClassesAtExit`` into
``~/.cache/mldeploy/jvm/``, and ``get_spark`` starts the driver with ``-XX:SharedArchiveFile`` whenever
that archive exists (``bench/jvm_start.py`` measures both side by side). Nothing depends on it: without
the archive, or with one that no longer matches the Java or the jars (Java then says so in the Spark log
and loads the classes as usual), Spark starts exactly as before, only slower.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

from .paths import cache_dir, log_dir

#: Spark's own setting for the driver JVM's options (the course sets no other driver option).
DRIVER_OPTIONS = "spark.driver.extraJavaOptions"
#: Set to ``off`` to start Spark without the archive (``bench/jvm_start.py`` compares both ways).
DISABLE_VARIABLE = "MLDEPLOY_JVM_ARCHIVE"


def archive_dir() -> Path:
    return cache_dir() / "jvm"


def spark_home() -> Path:
    """The Spark whose jars the driver's class path lists: ``SPARK_HOME``, else the installed pyspark's.

    pyspark's own lookup, the one its launcher uses to start the JVM.
    """
    from pyspark.find_spark_home import _find_spark_home

    return Path(_find_spark_home()).resolve()


def archive_path() -> Path:
    """The archive of this Java and this Spark installation: another Java, venv or version gets another file.

    Java checks an archive against the class path it was recorded with, folder names included: a second
    clone of the course (its own ``.venv``) needs its own archive, so the folder is part of the name.
    """
    from .spark import find_java, packages

    java = find_java()
    java_id = f"{java.resolve()}:{java.stat().st_mtime_ns}" if java else "no-java"
    identity = f"{spark_home()}|{version('pyspark')}|{packages()}|{java_id}"
    return archive_dir() / f"spark-{hashlib.sha1(identity.encode()).hexdigest()[:12]}.jsa"


def driver_options() -> dict[str, str]:
    """The driver's Java option that maps the archive, or nothing while there is no archive."""
    if os.environ.get(DISABLE_VARIABLE) == "off":
        return {}
    path = archive_path()
    return {DRIVER_OPTIONS: java_options(path)} if path.is_file() else {}


def mapped_by(spark, archive: Path) -> bool | None:
    """Whether ``spark``'s driver JVM has ``archive`` mapped (Java lets go of one it refuses); ``None`` when
    that cannot be seen (a Spark Connect session has no JVM here; no ``/proc`` outside Linux)."""
    try:
        pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
    except Exception:  # noqa: BLE001 - a Connect session has no sparkContext
        return None
    maps = Path(f"/proc/{pid}/maps")
    return str(archive) in maps.read_text() if maps.exists() else None


def build_archive(timeout: float = 600) -> Path:
    """Record the archive (about a minute, once: 63 s in a fresh clone on 7 Dec 2026), check it, then install it.

    Archives of Spark installations that no longer exist (a deleted clone's venv) are deleted.

    The session runs in a child process that waits for its JVM to exit, because Java writes the archive
    only then; a second child starts Spark with ``-Xshare:on`` on it (Java refuses to start on an archive
    it cannot map, rather than quietly going without). Only then is the file renamed into place, so a lesson
    never maps half an archive: Java crashes on a damaged one (``start_session`` falls back without it).
    """
    target = archive_path()
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        recorded = Path(scratch) / target.name
        for step in ("record", "check"):
            subprocess.run([sys.executable, "-m", "mldeploy.jvm_archive", step, str(recorded)],
                           check=True, timeout=timeout)
        os.replace(recorded, target)
    target.with_suffix(".home").write_text(str(spark_home()))
    for other in target.parent.glob("spark-*.jsa"):  # archives of Spark installations deleted since
        home = other.with_suffix(".home")
        if other != target and (not home.is_file() or not Path(home.read_text()).is_dir()):
            other.unlink()
            home.unlink(missing_ok=True)
    return target


def java_options(archive: Path, share: str = "auto") -> str:
    """The driver's options that map ``archive``; a JVM crash report goes to the logs, not the lesson's folder."""
    return f"-XX:SharedArchiveFile={archive} -Xshare:{share} -XX:ErrorFile={log_dir() / 'hs_err_pid%p.log'}"


def discard_archive(conf: dict[str, str]) -> bool:
    """After a failed start: drop the archive from ``conf`` and delete it, if one was used (then retry)."""
    options = conf.get(DRIVER_OPTIONS, "")
    if "-XX:SharedArchiveFile=" not in options:
        return False
    conf.pop(DRIVER_OPTIONS)
    archive = archive_path()
    archive.unlink(missing_ok=True)
    print(f"Spark did not start with its class-data archive: deleted it; `make setup` records it again "
          f"({archive}). Starting without it.", file=sys.stderr)
    return True


def _archive_session(app_name: str, options: str):
    """A local[2] session whose driver JVM runs with ``options`` (no fallback: a failure must show)."""
    from .spark import session_conf, spark_target, start_session

    target = spark_target("local[2]")
    return start_session(target, session_conf(target, app_name) | {DRIVER_OPTIONS: options}, fall_back=False)


def record_session(recorded: Path) -> None:
    """Run a representative session in a JVM that writes the classes it loaded to ``recorded`` at exit."""
    import pandas as pd
    from pyspark import SparkContext
    from pyspark.sql import functions as F

    from .lake import read_table

    # Only errors: the recording warns about each of the few thousand classes it cannot keep.
    spark = _archive_session("mldeploy-jvm-archive", f"-XX:ArchiveClassesAtExit={recorded} -Xlog:cds=error")
    jvm = SparkContext._gateway.proc
    with tempfile.TemporaryDirectory(prefix="mldeploy-jvm-archive-") as folder:
        table = f"{folder}/table"
        features = read_table(spark, "features")
        sample = features.sample(fraction=0.01, seed=1).toPandas()
        spark.createDataFrame(sample).repartition(4).write.format("delta").partitionBy("carrier").save(table)
        features.groupBy("carrier").agg(F.avg("distance")).join(features.select("carrier").distinct(), "carrier").count()
        spark.sql(f"MERGE INTO delta.`{table}` t USING (SELECT * FROM delta.`{table}` LIMIT 50) u "
                  "ON t.flight_id = u.flight_id WHEN MATCHED THEN UPDATE SET *")
        spark.sql(f"OPTIMIZE delta.`{table}` ZORDER BY (dest)").collect()
        spark.sql(f"DESCRIBE HISTORY delta.`{table}`").collect()
        spark.read.format("delta").load(table).mapInPandas(
            lambda frames: (pd.DataFrame({"n": [len(f)]}) for f in frames), "n long").collect()
        query = (spark.readStream.format("delta").load(table).groupBy("origin").count()
                 .writeStream.format("delta").outputMode("complete")
                 .option("checkpointLocation", f"{folder}/checkpoint").trigger(availableNow=True)
                 .start(f"{folder}/counts"))
        query.awaitTermination()
    spark.stop()
    jvm.stdin.close()  # the JVM exits when its stdin closes, and writes the archive as it exits
    if jvm.wait(timeout=300) != 0 or not recorded.is_file():
        raise RuntimeError(f"Java wrote no class-data archive (exit code {jvm.returncode}); see {log_dir()}.")


def check_archive(recorded: Path) -> None:
    """Start Spark on ``recorded`` with ``-Xshare:on``: Java refuses to start on an archive it cannot use."""
    spark = _archive_session("mldeploy-jvm-archive-check", java_options(recorded, "on"))
    assert spark.range(10).count() == 10
    spark.stop()


if __name__ == "__main__":
    {"record": record_session, "check": check_archive}[sys.argv[1]](Path(sys.argv[2]))
