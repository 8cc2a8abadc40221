"""mldeploy: the plumbing of the course, so lessons can show only the MLflow, Spark and Delta calls.

Typical lesson setup::

    from mldeploy import get_spark, read_table, lesson_dir
    spark = get_spark()                      # local Spark + Delta, or MLDEPLOY_SPARK's cluster
    flights = read_table(spark, "flights")   # a Delta table of the course's data lake
    work = lesson_dir()                      # ./work: this lesson's own fixtures
"""

import os as _os

# MLflow prints a progress bar per artifact download; in notebooks that is noise, not progress.
_os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

from .doctor import report, run_doctor  # noqa: E402
from .features import (  # noqa: E402
    CATEGORICAL,
    FEATURES,
    KEY,
    LABEL,
    LOOKUP_FEATURES,
    RAW_COLUMNS,
    ROW_FEATURES,
    SKOPS_TRUSTED_TYPES,
    TEST_START,
    delay_classifier,
    row_features,
    split_by_date,
)
from .kafka import KafkaBroker, KafkaSetupError, start_kafka  # noqa: E402
from .isolation import ModelIsolationError, predict_in_clean_process  # noqa: E402
from .lake import TABLES, build_lake, feature_frame, read_table, source_frames, table_path  # noqa: E402
from .monitoring import DataProfile, MonitorError  # noqa: E402
from .notebook_output import in_jupyter_kernel as _in_jupyter_kernel  # noqa: E402
from .notebook_output import route_notices_to_stdout as _route_notices_to_stdout  # noqa: E402
from .online_store import OnlineStore  # noqa: E402
from .paths import lesson_dir  # noqa: E402
from .pipelines import PipelineError, PipelineRun, run_pipeline  # noqa: E402
from .replay import EVENT_SCHEMA, EventReplayer, departure_events  # noqa: E402
from .scan_metrics import ScanMetrics, ScanMetricsError, files_in_table, scan_metrics  # noqa: E402
from .servers import BackgroundServer, start_mlflow_ui  # noqa: E402
from .serving import ServingEndpoint, ServingError, read_inference_log  # noqa: E402
from .spark import SparkSetupError, get_spark  # noqa: E402

__all__ = [
    "BackgroundServer",
    "CATEGORICAL",
    "DataProfile",
    "EVENT_SCHEMA",
    "EventReplayer",
    "FEATURES",
    "KafkaBroker",
    "KafkaSetupError",
    "KEY",
    "LABEL",
    "LOOKUP_FEATURES",
    "ModelIsolationError",
    "MonitorError",
    "OnlineStore",
    "PipelineError",
    "PipelineRun",
    "RAW_COLUMNS",
    "ROW_FEATURES",
    "SKOPS_TRUSTED_TYPES",
    "ScanMetrics",
    "ScanMetricsError",
    "ServingEndpoint",
    "ServingError",
    "SparkSetupError",
    "TABLES",
    "TEST_START",
    "build_lake",
    "delay_classifier",
    "departure_events",
    "feature_frame",
    "files_in_table",
    "get_spark",
    "lesson_dir",
    "predict_in_clean_process",
    "read_inference_log",
    "read_table",
    "report",
    "row_features",
    "run_doctor",
    "run_pipeline",
    "scan_metrics",
    "source_frames",
    "split_by_date",
    "start_kafka",
    "start_mlflow_ui",
    "table_path",
]

# In a notebook, warnings and MLflow's INFO lines print as ordinary output instead of red stderr
# (which nbgrader would also count as a failed test): see mldeploy/notebook_output.py.
if _in_jupyter_kernel():
    _route_notices_to_stdout()
