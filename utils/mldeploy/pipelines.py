"""Run a Spark Declarative Pipeline (the ``spark-pipelines`` CLI) with the course's Spark settings.

``spark-pipelines run --spec spark-pipeline.yml`` starts its own JVM (a local Spark Connect server),
imports the pipeline's Python files, and runs the dataflow graph they declare. That JVM must be set
up like the notebooks' Spark (``mldeploy.spark.session_conf``: Delta jars from the course's Ivy
cache, loopback only, Python workers on this interpreter), plus what a pipeline needs on top:

- a **persistent catalog**: a Hive metastore in a Derby database in the pipeline's folder, so a
  second run finds the tables of the first (an in-memory catalog forgets them and the re-run fails
  with ``LOCATION_ALREADY_EXISTS``);
- ``spark.sql.sources.default=delta``, so the tables are Delta tables (``format="delta"`` on the
  decorators fails on the second run with ``DELTA_CANNOT_CHANGE_PROVIDER``).

The settings go to ``spark-conf/spark-defaults.conf`` beside the spec, read through ``SPARK_CONF_DIR``.
``run_pipeline`` runs the CLI as a subprocess with a time limit, keeps its whole output in a log file
and returns a ``PipelineRun``: exit code, seconds, each flow's final state and the run's phases.

One pipeline process at a time: the CLI's Spark Connect server listens on port 15002, and the Derby
metastore admits one JVM. A lock file in the course's cache makes concurrent runs wait their turn.
"""

from __future__ import annotations

import fcntl
import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterator, Mapping, Sequence

from .paths import cache_dir
from .ports import LOOPBACK, port_is_free
from .spark import DEFAULT_MASTER, SparkTarget, session_conf

#: Seconds a run may take: under a notebook cell's 300 s limit. A slow machine may raise it with this variable.
TIMEOUT_VARIABLE = "MLDEPLOY_PIPELINE_TIMEOUT"
DEFAULT_TIMEOUT = 290.0
#: The port the CLI's Spark Connect server listens on (pyspark's default for a local server).
CONNECT_PORT = 15002
#: Lines the CLI prints: "2026-01-01 12:00:00: Flow spark_catalog.default.x is RUNNING."
_EVENT = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d): (.*)$")
_FLOW = re.compile(r"^Flow (\S+) (?:is|has) ([A-Z_]+)\b")
_RUN = re.compile(r"^Run is ([A-Z_]+)\b")
_ERROR = re.compile(r"^\S*(Exception|Error)\b.*|.*\[[A-Z_]{6,}\].*")
#: The CLI's own steps before the flows run, in order: each one's duration is a phase of the run.
_PHASES = {
    "Creating Spark session": "start the JVM and Spark",
    "Creating dataflow graph": "connect, open the catalog",
    "Registering graph elements": "import the pipeline's Python files",
    "Starting run": "analyse the graph",
}


class PipelineError(RuntimeError):
    """A pipeline run failed or timed out; the message holds the errors and the end of its log."""


@dataclass(frozen=True)
class PipelineRun:
    """What one ``spark-pipelines`` command did."""

    command: str
    spec: Path
    returncode: int
    seconds: float
    log: Path
    state: str = "UNKNOWN"
    flows: dict[str, str] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.state in ("COMPLETED", "UNKNOWN")

    def summary(self) -> str:
        """A few lines a learner can read: the outcome, each flow's final state, where the time went."""
        lines = [f"spark-pipelines {self.command}: {self.state} (exit code {self.returncode}) in {self.seconds:.1f} s"]
        for flow, state in self.flows.items():
            lines.append(f"  flow {flow.split('.')[-1]:<24} {state}")
        if self.phases:
            lines.append("  time: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in self.phases.items()))
        lines.append(f"  full log: {self.log}")
        return "\n".join(lines)


def pipeline_conf(folder: str | Path, app_name: str = "spark-pipelines") -> dict[str, str]:
    """The Spark settings of a pipeline whose catalog (Derby metastore and managed tables) lives in ``folder``."""
    folder = Path(folder).resolve()
    conf = session_conf(SparkTarget("local", DEFAULT_MASTER), app_name)
    conf.pop("spark.master")  # the CLI's --remote local[2] sets it
    conf |= {
        "spark.sql.catalogImplementation": "hive",
        "spark.sql.warehouse.dir": str(folder / "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={folder / 'metastore_db'};create=true",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={folder}",  # derby.log goes there too
        "spark.sql.sources.default": "delta",
        "spark.connect.grpc.binding.address": LOOPBACK,
    }
    return conf


def write_spark_defaults(conf_dir: str | Path, conf: Mapping[str, str]) -> Path:
    """Write ``conf`` as ``conf_dir/spark-defaults.conf`` (the file ``SPARK_CONF_DIR`` points Spark at)."""
    conf_dir = Path(conf_dir)
    conf_dir.mkdir(parents=True, exist_ok=True)
    path = conf_dir / "spark-defaults.conf"
    path.write_text("".join(f"{key} {value}\n" for key, value in conf.items()))
    return path


def cli_path() -> Path:
    """The ``spark-pipelines`` launcher installed with pyspark, beside this Python."""
    launcher = Path(sys.executable).parent / "spark-pipelines"
    if not launcher.exists():
        raise PipelineError(
            f"No spark-pipelines launcher at {launcher}: install pyspark with its pipelines extra "
            "(`pip install 'pyspark[pipelines]'`, which `make setup` does)."
        )
    return launcher


def run_pipeline(
    spec: str | Path,
    command: str = "run",
    *,
    full_refresh: Sequence[str] = (),
    full_refresh_all: bool = False,
    timeout: float | None = None,
    catalog_dir: str | Path | None = None,
    conf: Mapping[str, str] | None = None,
    check: bool = True,
) -> PipelineRun:
    """Run ``spark-pipelines <command> --spec <spec>`` with the course's Spark settings; return what it did.

    ``command`` is ``"run"`` (an update: streaming tables take only new input, materialized views are
    recomputed) or ``"dry-run"`` (analyse the graph, write nothing). The catalog lives in
    ``catalog_dir`` (default: the spec's folder). ``conf`` adds or overrides Spark settings.
    With ``check`` (the default) a failed or timed-out run raises ``PipelineError``. ``timeout`` defaults to
    ``MLDEPLOY_PIPELINE_TIMEOUT`` or 290 s.
    """
    if timeout is None:
        timeout = float(os.environ.get(TIMEOUT_VARIABLE, DEFAULT_TIMEOUT))
    if command not in ("run", "dry-run"):
        raise ValueError(f"command must be 'run' or 'dry-run', not {command!r}")
    spec = Path(spec).resolve()
    if not spec.is_file():
        raise PipelineError(f"No pipeline spec at {spec}: write the spark-pipeline.yml first.")
    folder = spec.parent if catalog_dir is None else Path(catalog_dir).resolve()
    settings = pipeline_conf(folder) | dict(conf or {})
    conf_dir = folder / "spark-conf"
    write_spark_defaults(conf_dir, settings)
    log = folder / "logs" / f"{command}-{datetime.now():%Y%m%d-%H%M%S-%f}.log"
    log.parent.mkdir(parents=True, exist_ok=True)

    args = [str(cli_path()), "--remote", DEFAULT_MASTER, command, "--spec", str(spec)]
    if command == "run" and full_refresh_all:
        args.append("--full-refresh-all")
    elif command == "run" and full_refresh:
        args += ["--full-refresh", ",".join(full_refresh)]
    env = dict(os.environ) | {
        "SPARK_CONF_DIR": str(conf_dir),
        "SPARK_LOCAL_IP": LOOPBACK,
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    for variable in ("SPARK_HOME", "SPARK_REMOTE", "PYSPARK_SUBMIT_ARGS", "SPARK_CONNECT_MODE_ENABLED"):
        env.pop(variable, None)  # this process's Spark settings are not the pipeline's

    with _one_pipeline_at_a_time(timeout):
        started = time.perf_counter()
        with open(log, "wb") as out:
            process = subprocess.Popen(args, cwd=spec.parent, env=env, stdout=out, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                returncode = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                raise PipelineError(f"spark-pipelines {command} did not finish within {timeout:.0f} s and was "
                                    f"stopped.\n{log_tail(log)}") from None
        seconds = time.perf_counter() - started
    result = parse_log(log, command=command, spec=spec, returncode=returncode, seconds=seconds)
    if check and not result.ok:
        raise PipelineError(f"spark-pipelines {command} failed ({result.state}, exit code {returncode}).\n"
                            f"{errors_in(log)}\n{log_tail(log)}")
    return result


@contextmanager
def _one_pipeline_at_a_time(timeout: float) -> Iterator[None]:
    """Hold the course's pipeline lock, and wait for port 15002, so two runs never collide."""
    lock_path = cache_dir() / "spark-pipelines.lock"
    deadline = time.monotonic() + timeout
    with open(lock_path, "w") as lock:
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise PipelineError(f"Another pipeline run held {lock_path} for {timeout:.0f} s.") from None
                time.sleep(0.5)
        try:
            while not port_is_free(CONNECT_PORT):
                if time.monotonic() > deadline:
                    raise PipelineError(
                        f"Port {CONNECT_PORT} (Spark Connect) stays busy: stop the Spark Connect server or the "
                        "pipeline that uses it, then run again."
                    )
                time.sleep(0.5)
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def parse_log(log: Path, *, command: str, spec: Path, returncode: int, seconds: float) -> PipelineRun:
    """Read the CLI's timestamped lines: each flow's last state, the run's state, the phases' seconds."""
    events, flows, state, stamps = [], {}, "UNKNOWN", []
    for line in log.read_text(errors="replace").splitlines():
        match = _EVENT.match(line)
        if not match:
            continue
        stamp, message = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S"), match.group(2)
        events.append(line)
        stamps.append((stamp, message))
        if flow := _FLOW.match(message):
            flows[flow.group(1)] = flow.group(2)
        elif run := _RUN.match(message):
            state = run.group(1)
    if returncode != 0 and state in ("UNKNOWN", "COMPLETED"):
        state = "FAILED"
    return PipelineRun(command, spec, returncode, seconds, log, state, flows, _phases(stamps), events)


def _phases(stamps: list[tuple[datetime, str]]) -> dict[str, float]:
    """Seconds between the CLI's steps; 'run the flows' is from the first flow event to the end."""
    marks = []
    for stamp, message in stamps:
        for prefix, name in _PHASES.items():
            if message.startswith(prefix):
                marks.append((stamp, name))
        if message.startswith("Flow ") and not any(name == "run the flows" for _, name in marks):
            marks.append((stamp, "run the flows"))
    if not marks:
        return {}
    end = stamps[-1][0]
    phases = {}
    for (stamp, name), following in zip(marks, [*marks[1:], (end, None)]):
        phases[name] = phases.get(name, 0.0) + (following[0] - stamp).total_seconds()
    return phases


def errors_in(log: Path, limit: int = 6) -> str:
    """The log's distinct error lines (Spark's error classes, Python exceptions), first ``limit``."""
    found = []
    for line in log.read_text(errors="replace").splitlines():
        text = line.strip()
        if _ERROR.match(text) and not text.startswith("at ") and text not in found:
            found.append(text[:400])
    return "\n".join(found[:limit]) if found else "(no error line in the log)"


def log_tail(log: Path, lines: int = 25) -> str:
    """The end of the log without Ivy's report and Java stack frames: what a learner should read."""
    kept = [line for line in log.read_text(errors="replace").splitlines()
            if line.strip() and not line.lstrip().startswith(("at ", "...", ":: ", "|", "---", "org.", "io.", "com."))]
    return f"Last lines of {log}:\n" + "\n".join(kept[-lines:])
