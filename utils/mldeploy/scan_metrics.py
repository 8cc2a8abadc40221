"""What a query's file scans really read, from Spark's own SQL metrics.

A layout (partitioning, Z-order, liquid clustering) pays off when a query reads fewer files. Timing a
query on a laptop mostly measures noise; Spark's scan nodes count what they read::

    from mldeploy import scan_metrics, files_in_table
    read = scan_metrics(spark.read.format("delta").load(path).filter("carrier = 'UA'"))
    read.files_read, read.bytes_read            # e.g. 3 files, 0.8 MB
    read.files_read / files_in_table(spark, path)

``scan_metrics`` runs the query once and adds up, over every file scan in its executed plan, the
metrics the Spark UI shows on each *Scan* node: ``number of files read``, ``size of files read`` and
``number of output rows``. For a Delta table these are counted after partition pruning *and* after
Delta's data skipping (Delta hands the scan only the files whose min/max statistics can match), so
they are exactly the files the query touched.

Over **Spark Connect** the plan lives in the server: the same metrics come back with the result of
``collect()`` (``DataFrame.executionInfo``, Spark 4.0+), and ``scan_metrics`` reads them there (checked
against a Spark 4.2 Connect server with Delta 4.4: same numbers as local Spark). That path collects the
query's rows to Python, so keep such queries selective. If the server sends no metrics,
``ScanMetricsError`` says so rather than returning a wrong zero. ``files_in_table`` is plain SQL and
works over Connect too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

#: The SQL metrics of a file scan node (FileSourceScanExec) that this module reads: key -> UI name.
SCAN_METRICS = {
    "numFiles": "number of files read",
    "filesSize": "size of files read",
    "numOutputRows": "number of output rows",
}


class ScanMetricsError(RuntimeError):
    """The query's file-scan metrics could not be read; the message says why and what to do."""


@dataclass(frozen=True)
class ScanMetrics:
    """What a query's file scans read: files, bytes (on disk) and the rows they produced."""

    files_read: int
    bytes_read: int
    rows_read: int
    scans: int = 1

    def __str__(self) -> str:
        return f"{self.files_read} files, {self.bytes_read / 1e6:.2f} MB, {self.rows_read:,} rows"


def _is_connect(df: Any) -> bool:
    return type(df).__module__.startswith("pyspark.sql.connect")


def _scan_nodes(plan: Any) -> Iterable[Any]:
    """Every file scan in an executed plan (through adaptive plans and their query stages)."""
    stack = [plan]
    while stack:
        node = stack.pop()
        kind = node.getClass().getSimpleName()
        if kind == "AdaptiveSparkPlanExec":
            stack.append(node.executedPlan())  # after execution: the final plan, with its metrics
            continue
        if kind.endswith("QueryStageExec") or kind == "ReusedExchangeExec":
            stack.append(node.plan() if kind.endswith("QueryStageExec") else node.child())
            continue
        if kind == "FileSourceScanExec":
            yield node
        children = node.children()
        stack.extend(children.apply(i) for i in range(children.size()))
        subqueries = node.subqueries()  # scalar subqueries plan their own scans
        stack.extend(subqueries.apply(i) for i in range(subqueries.size()))


def _metric_values(node: Any) -> dict[str, int]:
    values = {}
    metrics = node.metrics()
    for key in SCAN_METRICS:
        option = metrics.get(key)
        if option.isDefined():
            values[key] = int(option.get().value())
    return values


def _classic_metrics(df: Any) -> list[dict[str, int]]:
    # A fresh plan for this measurement: a plan that already ran would add its row counts again.
    query_execution = df.select("*")._jdf.queryExecution()
    query_execution.toRdd().count()  # runs the query in Spark, without shipping rows to Python
    return [_metric_values(node) for node in _scan_nodes(query_execution.executedPlan())]


def _connect_metrics(df: Any) -> list[dict[str, int]]:
    fresh = df.select("*")
    fresh.collect()
    info = getattr(fresh, "executionInfo", None)
    collected = info.metrics if info is not None else None
    if collected is None:
        raise ScanMetricsError(
            "This Spark Connect server sent no plan metrics with the query's result, so the files read "
            "cannot be counted from here. Open the server's Spark UI (SQL tab, the query's Scan node: "
            "'number of files read', 'size of files read'), or run the lesson with local Spark "
            "(unset MLDEPLOY_SPARK)."
        )
    # The server names metrics by key (numFiles); accept the UI names (number of files read) too.
    names = {key: key for key in SCAN_METRICS} | {name: key for key, name in SCAN_METRICS.items()}
    scans = []
    for plan in collected._metrics:  # one PlanMetrics per plan node
        values = {names[m.name]: int(m.value) for m in plan.metrics if m.name in names}
        if plan.name.startswith("Scan") and "numFiles" in values:
            scans.append(values)
    return scans


def scan_metrics(df: Any) -> ScanMetrics:
    """Run ``df`` once and return the files, bytes and rows its file scans read (Spark's own metrics).

    Files and bytes are counted after partition pruning and Delta's data skipping; ``rows_read`` is
    what the scans produced, before the filters above them. A query over several tables (a join)
    adds up its scans. Raises ``ScanMetricsError`` when the plan has no file scan (a cached
    DataFrame, a query Delta answers from its log alone) or, over Spark Connect, when the server
    sends no metrics.
    """
    scans = _connect_metrics(df) if _is_connect(df) else _classic_metrics(df)
    if not scans:
        raise ScanMetricsError(
            "This query read no files: its plan has no file scan. Is the DataFrame cached, or built "
            "from Python data rather than read from a table? Measure a query that reads a table, such "
            "as spark.read.format('delta').load(path).filter(...)."
        )
    return ScanMetrics(
        files_read=sum(s.get("numFiles", 0) for s in scans),
        bytes_read=sum(s.get("filesSize", 0) for s in scans),
        rows_read=sum(s.get("numOutputRows", 0) for s in scans),
        scans=len(scans),
    )


def files_in_table(spark: Any, path: str) -> int:
    """How many data files the Delta table at ``path`` has in its current version (``DESCRIBE DETAIL``)."""
    return int(spark.sql(f"DESCRIBE DETAIL delta.`{path}`").first()["numFiles"])
