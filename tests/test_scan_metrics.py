"""mldeploy.scan_metrics: the files and bytes a query's scans read, from Spark's own metrics."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from mldeploy.scan_metrics import ScanMetrics, ScanMetricsError, files_in_table, scan_metrics


@pytest.fixture(scope="module")
def partitioned(spark, tmp_path_factory) -> str:
    """4 partitions (part = 0..3), 2 files each."""
    path = str(tmp_path_factory.mktemp("scan") / "partitioned")
    (spark.range(4000).withColumn("part", F.col("id") % 4)
     .repartition(2).write.format("delta").partitionBy("part").save(path))
    return path


@pytest.fixture(scope="module")
def sorted_files(spark, tmp_path_factory) -> str:
    """4 files, each holding one range of ids: Delta's min/max statistics can skip 3 of them."""
    path = str(tmp_path_factory.mktemp("scan") / "sorted")
    spark.range(4000).repartitionByRange(4, "id").sortWithinPartitions("id").write.format("delta").save(path)
    return path


def test_a_full_read_reads_every_file(spark, partitioned):
    table = spark.read.format("delta").load(partitioned)
    read = scan_metrics(table)
    assert files_in_table(spark, partitioned) == 8
    assert read.files_read == 8 and read.rows_read == 4000 and read.scans == 1
    detail = spark.sql(f"DESCRIBE DETAIL delta.`{partitioned}`").first()
    assert read.bytes_read == detail["sizeInBytes"]


def test_partition_pruning_is_counted(spark, partitioned):
    read = scan_metrics(spark.read.format("delta").load(partitioned).filter("part = 1"))
    assert read.files_read == 2 and read.rows_read == 1000
    assert 0 < read.bytes_read < scan_metrics(spark.read.format("delta").load(partitioned)).bytes_read


def test_delta_data_skipping_is_counted(spark, sorted_files):
    assert files_in_table(spark, sorted_files) == 4
    read = scan_metrics(spark.read.format("delta").load(sorted_files).filter("id < 10"))
    assert read.files_read == 1, read


def test_measuring_twice_gives_the_same_numbers(spark, partitioned):
    query = spark.read.format("delta").load(partitioned).filter("part = 2").groupBy().count()
    assert scan_metrics(query) == scan_metrics(query)


def test_a_join_adds_up_its_scans(spark, partitioned, sorted_files):
    left = spark.read.format("delta").load(partitioned).filter("part = 0")
    right = spark.read.format("delta").load(sorted_files).filter("id < 10")
    read = scan_metrics(left.join(right, "id"))
    assert read.scans == 2 and read.files_read == 3


def test_a_query_without_a_file_scan_is_refused(spark):
    with pytest.raises(ScanMetricsError, match="no file scan"):
        scan_metrics(spark.range(3))


class _ConnectLikeFrame:
    """Stands in for a Spark Connect DataFrame (only its module name and executionInfo matter)."""

    __module__ = "pyspark.sql.connect.dataframe"

    def __init__(self, info):
        self.executionInfo = info

    def select(self, *columns):
        return self

    def collect(self):
        return []


def test_spark_connect_without_metrics_says_what_to_do():
    with pytest.raises(ScanMetricsError, match="Spark Connect"):
        scan_metrics(_ConnectLikeFrame(None))


def test_spark_connect_metrics_are_read_from_execution_info():
    from pyspark.sql.metrics import ExecutionInfo, MetricValue, PlanMetrics

    # What a Spark 4.2 Connect server sends: metrics named by key, the scan node named "Scan parquet ".
    scan = PlanMetrics("Scan parquet ", 2, 1, [
        MetricValue("filesSize", 12345, "size"),
        MetricValue("scanTime", 73, "timing"),
        MetricValue("numOutputRows", 700, "sum"),
        MetricValue("numFiles", 3, "sum"),
    ])
    project = PlanMetrics("Project", 1, 0, [MetricValue("number of output rows", 700, "sum")])
    read = scan_metrics(_ConnectLikeFrame(ExecutionInfo([project, scan], None)))
    assert read == ScanMetrics(files_read=3, bytes_read=12345, rows_read=700, scans=1)
