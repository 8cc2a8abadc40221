"""Run a Spark Declarative Pipeline (the ``spark-pipelines`` CLI) on the lesson's own Spark session.

``spark-pipelines run --spec spark-pipeline.yml`` imports the pipeline's Python files and runs the
dataflow graph they declare on a Spark Connect server. Started bare, the CLI brings up a server of its
own: a second JVM per run, configured apart from the notebook's (its jars, its catalog), and about two
minutes of fixed cost per run on a 2-core laptop. So the course runs it against the session the lesson
already has: ``get_spark(name, connect_server=True)`` also serves Spark Connect on a free loopback port,
and ``run_pipeline(spec, spark)`` passes ``--remote sc://127.0.0.1:<port>``. The flows then run in
that session's JVM, with its Delta jars and its catalog (where a second run finds the first run's
tables), on whatever ``MLDEPLOY_SPARK`` points the session at; a session that is itself a Spark Connect
client sends the CLI to its own server.

``run_pipeline`` runs the CLI as a subprocess with a time limit, keeps its whole output in a log file
beside the spec and returns a ``PipelineRun``: exit code, seconds, each flow's final state and the
run's phases; a failed run raises ``PipelineError`` with the errors and the log's tail.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Sequence

from .paths import tools_first_path
from .ports import LOOPBACK
from .spark import CONNECT_PLUGIN, spark_target

#: Seconds a run may take: under a notebook cell's 300 s limit. A slow machine may raise it with this variable.
TIMEOUT_VARIABLE = "MLDEPLOY_PIPELINE_TIMEOUT"
DEFAULT_TIMEOUT = 290.0
#: Lines the CLI prints: "2026-01-01 12:00:00: Flow spark_catalog.default.x is RUNNING."
_EVENT = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d): (.*)$")
_FLOW = re.compile(r"^Flow (\S+) (?:is|has) ([A-Z_]+)\b")
_RUN = re.compile(r"^Run is ([A-Z_]+)\b")
_ERROR = re.compile(r"^\S*(Exception|Error)\b.*|.*\[[A-Z_]{6,}\].*")
#: The CLI's own steps before the flows run, in order: each one's duration is a phase of the run.
_PHASES = {
    "Creating Spark session": "connect to Spark",
    "Creating dataflow graph": "create the dataflow graph",
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


def connect_url(spark: Any) -> str:
    """The Spark Connect address of ``spark``: the server it hosts, or the server it is a client of."""
    target = spark_target()
    if target.kind == "connect":
        return target.url
    if CONNECT_PLUGIN in spark.conf.get("spark.plugins", ""):
        return f"sc://{LOOPBACK}:{spark.conf.get('spark.connect.grpc.binding.port')}"
    raise PipelineError(
        "This Spark session serves no Spark Connect, which spark-pipelines needs: start Spark with "
        "get_spark(name, connect_server=True). A running session keeps its settings, so restart the kernel first."
    )


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
    spark: Any,
    command: str = "run",
    *,
    full_refresh: Sequence[str] = (),
    full_refresh_all: bool = False,
    timeout: float | None = None,
    check: bool = True,
) -> PipelineRun:
    """Run ``spark-pipelines <command> --spec <spec>`` on ``spark``'s Spark Connect server; return what it did.

    ``command`` is ``"run"`` (an update: streaming tables take only new input, materialized views are
    recomputed) or ``"dry-run"`` (analyse the graph, write nothing). ``spark`` is the lesson's session,
    started with ``get_spark(name, connect_server=True)``. With ``check`` (the default) a failed or
    timed-out run raises ``PipelineError``. ``timeout`` defaults to ``MLDEPLOY_PIPELINE_TIMEOUT`` or 290 s.
    """
    if timeout is None:
        timeout = float(os.environ.get(TIMEOUT_VARIABLE, DEFAULT_TIMEOUT))
    if command not in ("run", "dry-run"):
        raise ValueError(f"command must be 'run' or 'dry-run', not {command!r}")
    spec = Path(spec).resolve()
    if not spec.is_file():
        raise PipelineError(f"No pipeline spec at {spec}: write the spark-pipeline.yml first.")
    log = spec.parent / "logs" / f"{command}-{datetime.now():%Y%m%d-%H%M%S-%f}.log"
    log.parent.mkdir(parents=True, exist_ok=True)

    args = [str(cli_path()), "--remote", connect_url(spark), command, "--spec", str(spec)]
    if command == "run" and full_refresh_all:
        args.append("--full-refresh-all")
    elif command == "run" and full_refresh:
        args += ["--full-refresh", ",".join(full_refresh)]
    env = dict(os.environ) | {
        # The CLI imports the definition files in this Python (they may import mlflow and the course).
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "PATH": tools_first_path(),
    }
    for variable in ("SPARK_HOME", "SPARK_REMOTE", "PYSPARK_SUBMIT_ARGS", "SPARK_CONNECT_MODE_ENABLED"):
        env.pop(variable, None)  # --remote says where to run; nothing else of this process's Spark applies

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
