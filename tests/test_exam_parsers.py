"""The practice exam's answer readers (mldeploy/exam/parsers.py): right answers in other spellings are read as
right, and what the API itself would refuse is refused. Each parser gets spellings a learner plausibly writes."""

from __future__ import annotations

import pytest

from mldeploy.exam import parsers as P


def refused(function, value) -> str:
    with pytest.raises(P.AnswerError) as caught:
        function(value)
    return str(caught.value)


# ---- letters ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["b", "B", " (b) ", "b)", "(b) Retrain on the logged version", "b. text", "b:"])
def test_letters_in_any_dress(value):
    assert P.choice_letter(value) == "b"


@pytest.mark.parametrize("value", ["bb", "a seed pins randomness", "", None, True, 2, "(b) or (c)", "option b"])
def test_not_a_letter(value):
    assert P.choice_letter(value) is None


# ---- numbers ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    (2, 2), (2.0, 2), ("2", 2), ("2 files", 2), ("f3 and f4: 2", 2), ("only f3, f4 -> 2 files", 2),
    ("50000/3600 = 13.9", 13.9), ("50,000 s / 3,600 = 13.9 h", 13.9), ("50000/3600", 50000 / 3600),
    ("≈13.9", 13.9), ("13.9h", 13.9), ("13,9", 13.9), ("p99 allows 19", 19), ("1,979 requests", 1979),
    ("about 200 req/s", 200),
])
def test_numbers(value, expected):
    assert P.number(value) == pytest.approx(expected)


@pytest.mark.parametrize("value", ["two", "", None, True, float("nan"), "f3 and f4"])
def test_no_number(value):
    with pytest.raises(P.AnswerError):
        P.number(value)


# ---- times -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["10:27", "10:27:00", "10h27", "10.27", "10:27 AM", "10:27am", "10:27 a.m.",
                                   "2013-03-02 10:27:00", "2013-03-02T10:27", "watermark 10:27 (10:42 - 15 min)"])
def test_times_of_day(value):
    assert P.clock_minutes(value) == 10 * 60 + 27


def test_afternoon_and_nonsense_times():
    assert P.clock_minutes("10:27 PM") == 22 * 60 + 27
    for value in ("1027", "25:00", "10:61", "quarter past ten", "13:10 pm"):
        with pytest.raises(P.AnswerError):
            P.clock_minutes(value)


# ---- triggers, as PySpark 4.2 checks them ----------------------------------------------------------------


@pytest.mark.parametrize("value", [".trigger(availableNow=True)", "trigger(availableNow=True)", "availableNow=True",
                                   "df.writeStream.trigger(availableNow=True).start()",
                                   "query = (df.writeStream\n.trigger(availableNow=True)\n.start())",
                                   ".trigger(availableNow=True)  # then stop", "`.trigger(availableNow=True)`",
                                   ".trigger(once=True).trigger(availableNow=True)",
                                   "trigger(availableNow=True, once=None)"])
def test_available_now(value):
    assert P.trigger(value) == ("availableNow", True)


@pytest.mark.parametrize("value, reason", [
    ("trigger(availableNow=1)", "literal True"), ("trigger(availableNow='true')", "literal True"),
    ("trigger(True)", "keyword arguments only"), ("trigger(availableNow=True, once=True)", "exactly one trigger"),
    (".trigger(availablenow=True)", "case-sensitive"), ("trigger()", "exactly one trigger"),
    ("availableNow", "no call"), ("df.writeStream.start()", "no call"), ("trigger(**opts)", "write them out"),
])
def test_triggers_pyspark_refuses(value, reason):
    assert reason in refused(P.trigger, value)


@pytest.mark.parametrize("value", ['.trigger(realTime="5 seconds")', ".trigger(realTime='5 second')",
                                   '.trigger(realTime="5000 milliseconds")', '.trigger(realTime="interval 5 seconds")',
                                   '.trigger(realTime="5 SECONDS")', '.trigger(realTime="5.0 seconds")',
                                   '.trigger(realTime="4 seconds 1000 milliseconds")'])
def test_real_time_five_seconds(value):
    assert P.trigger(value) == ("realTime", 5.0)


@pytest.mark.parametrize("value", ['.trigger(realTime=5)', '.trigger(realTime="5")', '.trigger(realTime="5 s")',
                                   '.trigger(realTime="5s")', '.trigger(realTime="5 sec")', '.trigger(realTime="5000 ms")',
                                   '.trigger(realTime="0.5 minutes")', '.trigger(realTime="")', ".trigger(realTime=d)",
                                   '.trigger(realTime="0 seconds")', '.trigger(realTime="-5 seconds")'])
def test_real_time_spellings_spark_refuses(value):
    """Measured with Spark 4.2's Trigger.RealTime: these raise (the unit is spelled out; a fraction only for
    seconds); PySpark itself refuses a non-string."""
    with pytest.raises(P.AnswerError):
        P.trigger(value)


def test_other_triggers_are_read_as_what_they_are():
    assert P.trigger('.trigger(processingTime="5 seconds")') == ("processingTime", 5.0)
    assert P.trigger(".trigger(once=True)") == ("once", True)
    assert P.trigger('.trigger(continuous="1 second")') == ("continuous", 1.0)


# ---- model URIs ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["models:/flight_delay@champion", "`models:/flight_delay@champion`",
                                   "'models:/flight_delay@champion'", "MODELS:/flight_delay@champion",
                                   "models:/flight_delay@champion  # follows the alias",
                                   "mlflow.pyfunc.load_model('models:/flight_delay@champion')"])
def test_alias_uri(value):
    assert P.model_uri(value) == {"name": "flight_delay", "alias": "champion"}


def test_uri_names_keep_their_case_and_stage_version_latest_are_read():
    assert P.model_uri("models:/Flight_Delay@Champion") == {"name": "Flight_Delay", "alias": "Champion"}
    assert P.model_uri("models:/flight_delay/champion") == {"name": "flight_delay", "stage": "champion"}
    assert P.model_uri("models:/flight_delay/7") == {"name": "flight_delay", "version": 7}
    assert P.model_uri("models:/flight_delay/LATEST") == {"name": "flight_delay", "latest": True}
    assert P.model_uri("models:/m-0123abc") == {"model_id": "m-0123abc"}


@pytest.mark.parametrize("value", ["models:/ flight_delay@champion", "runs:/abc/model", "models://flight_delay@champion",
                                   "models:/flight_delay@", "flight_delay@champion", "models:/flight_delay/",
                                   "models:/a/b/c", "models:/flight_delay@champion/3"])
def test_not_registry_uris(value):
    with pytest.raises(P.AnswerError):
        P.model_uri(value)


# ---- spark_udf --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ['mlflow.pyfunc.spark_udf(spark, "models:/flight_delay@champion")',
                                   "mlflow.pyfunc.spark_udf(spark, model_uri='models:/flight_delay@champion')",
                                   'udf = mlflow.pyfunc.spark_udf(spark, "models:/flight_delay@champion", '
                                   'result_type="double", env_manager="local")',
                                   'spark_udf(spark=spark, model_uri="models:/flight_delay@champion")'])
def test_spark_udf_calls(value):
    call = P.spark_udf_call(value)
    assert call["spark"] == "spark" and call["model"] == {"name": "flight_delay", "alias": "champion"}


@pytest.mark.parametrize("value", ['mlflow.pyfunc.load_model("models:/flight_delay@champion")',
                                   'mlflow.spark.spark_udf(spark, "models:/flight_delay@champion")',
                                   "mlflow.pyfunc.spark_udf(spark, uri)",
                                   'mlflow.pyfunc.spark_udf(spark, "models:/flight_delay@champion", model_uri="x")',
                                   'mlflow.pyfunc.spark_udf(spark, "models:/flight_delay@champion", envmanager="local")'])
def test_not_spark_udf_calls(value):
    with pytest.raises(P.AnswerError):
        P.spark_udf_call(value)


# ---- mlflow run -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["mlflow run . -P alpha=0.3 --env-manager local",
                                   "$ mlflow run . -P alpha=0.3 --env-manager=local",
                                   "mlflow run $PWD -P alpha=0.3 --env-manager local",
                                   'mlflow run "$PWD" -e main -P alpha=.3 --env-manager local',
                                   "mlflow run /home/me/delays -Palpha=0.3 --env-manager local  # no new env",
                                   "mlflow run ./ --param-list alpha=0.3 --env-manager local --run-name try",
                                   "mlflow run . \\\n  -P alpha=0.3 \\\n  --env-manager local"])
def test_mlflow_run_commands(value):
    command = P.mlflow_run(value)
    assert P.is_current_folder(command["uri"]) and command["entry_point"] == "main"
    assert P.number(command["params"]["alpha"]) == 0.3 and command["env_manager"] == "local"


def test_mlflow_run_reads_what_was_asked_for_not_more():
    assert P.mlflow_run("mlflow run . -P alpha=0.3")["env_manager"] is None
    assert P.mlflow_run("mlflow run . -P alpha=0.3 --env-manager uv")["env_manager"] == "uv"
    assert P.mlflow_run("mlflow run . -e train -P alpha=0.3")["entry_point"] == "train"
    assert not P.is_current_folder(P.mlflow_run("mlflow run https://github.com/me/delays -P alpha=0.3")["uri"])


@pytest.mark.parametrize("value, reason", [
    ("mlflow run . --no-conda -P alpha=0.3", "removed in MLflow 2"), ("mlflow run . --alpha 0.3", "no option"),
    ("mlflow run . -P alpha=0.3 --env-manager system", "the choices are"), ("python train.py --alpha 0.3", "mlflow run"),
    ("mlflow run -P alpha=0.3 --env-manager local", "name the project"), ("mlflow run . -P alpha", "NAME=VALUE"),
    ("mlflow run . . -P alpha=0.3", "one project URI"),
])
def test_mlflow_run_refuses_what_click_refuses(value, reason):
    assert reason in refused(P.mlflow_run, value)


# ---- JSON bodies and traffic configs ---------------------------------------------------------------------------

ROW = [{"carrier": "AA", "distance": 733}]


@pytest.mark.parametrize("value", [
    '{"dataframe_split": {"columns": ["carrier", "distance"], "data": [["AA", 733]]}}',
    {"dataframe_split": {"columns": ["carrier", "distance"], "data": [["AA", 733]]}},
    "{'dataframe_split': {'columns': ['carrier', 'distance'], 'data': [['AA', 733]]}}  # one flight",
    '{"dataframe_split": {"index": [0], "columns": ["carrier", "distance"], "data": [["AA", 733.0]]}}',
    {"dataframe_split": {"data": [["AA", 733]], "columns": ["carrier", "distance"]}, "params": {"threshold": 0.6}},
])
def test_split_bodies(value):
    body = P.scoring_body(value)
    assert body["format"] == "dataframe_split" and P.same_values(body["rows"], ROW)


def test_other_body_formats_and_params():
    body = P.scoring_body('{"dataframe_records": [{"carrier": "AA", "distance": 733}], "params": {"threshold": 0.7}}')
    assert body["format"] == "dataframe_records" and body["params"] == {"threshold": 0.7}
    assert P.scoring_body({"inputs": {"carrier": ["AA"], "distance": [733]}})["format"] == "inputs"
    assert not P.same_values([{"carrier": "AA", "distance": "733"}], ROW)     # text is not a number


@pytest.mark.parametrize("value", [
    '{"columns": ["carrier", "distance"], "data": [["AA", 733]]}',                             # the legacy bare frame
    '{"dataframe_split": {"columns": ["carrier", "distance"], "data": ["AA", 733]}}',          # a row, not rows
    '{"dataframe_split": {"columns": ["carrier"], "data": [["AA", 733]]}}',
    '{"dataframe_split": {}, "instances": []}', '{"dataframe_split": {"columns": [], "data": []}, "extra": 1}',
    '{"dataframe_split": {"columns": ["carrier", "distance"], "data": [["AA", 733]]}, "params": 0.7}', "not json",
])
def test_not_scoring_bodies(value):
    with pytest.raises(P.AnswerError):
        P.scoring_body(value)


SPLIT = {"champion": 90, "challenger": 10}


@pytest.mark.parametrize("value", [
    '{"routes": [{"served_model_name": "champion", "traffic_percentage": 90}, '
    '{"served_model_name": "challenger", "traffic_percentage": 10}]}',
    {"traffic_config": {"routes": [{"served_entity_name": "challenger", "traffic_percentage": 10},
                                   {"served_entity_name": "champion", "traffic_percentage": 90}]}},
    {"config": {"served_entities": [], "traffic_config": {"routes": [
        {"served_model_name": "champion", "traffic_percentage": 90},
        {"served_model_name": "challenger", "traffic_percentage": 10.0}]}}},
])
def test_traffic_configs(value):
    assert P.traffic_routes(value) == SPLIT


@pytest.mark.parametrize("value", [
    '{"routes": [{"served_model_name": "champion", "traffic_percentage": 0.9}, '
    '{"served_model_name": "challenger", "traffic_percentage": 0.1}]}',
    '{"routes": [{"served_model_name": "champion", "traffic_percentage": "90"}, '
    '{"served_model_name": "challenger", "traffic_percentage": "10"}]}',
    '{"routes": [{"served_model_name": "champion", "traffic_percentage": 90}]}',
    '{"champion": 90, "challenger": 10}',
    '{"routes": [{"model": "champion", "traffic_percentage": 90}, {"model": "challenger", "traffic_percentage": 10}]}',
])
def test_not_traffic_configs(value):
    with pytest.raises(P.AnswerError):
        P.traffic_routes(value)


# ---- paths, imports, keywords, output modes ----------------------------------------------------------------


@pytest.mark.parametrize("value", ["/model/flight_delay/Staging/invocations", "model/flight_delay/Staging/invocations",
                                   "https://adb-1.azuredatabricks.net/model/flight_delay/Staging/invocations",
                                   "<databricks-instance>/model/flight_delay/Staging/invocations",
                                   "/model/flight_delay/Staging/invocations/"])
def test_serving_paths(value):
    assert P.serving_path(value) == "/model/flight_delay/Staging/invocations"


def test_a_path_is_read_from_the_root():
    assert P.serving_path("/api/model/flight_delay/Staging/invocations") != "/model/flight_delay/Staging/invocations"
    for value in ("ftp://host/model/x/1/invocations", "/model/x/1/invocations?x=1", "/model/x y/1/invocations"):
        with pytest.raises(P.AnswerError):
            P.serving_path(value)


def test_import_lines():
    for value in ("import pyspark.pandas as ps", "from pyspark import pandas as ps", "import pyspark.pandas as ps  # Koalas"):
        assert P.import_alias(value) == ("pyspark.pandas", "ps")
    assert P.import_alias("import databricks.koalas as ks") == ("databricks.koalas", "ks")
    assert P.import_alias("import pyspark.pandas") == ("pyspark.pandas", "pyspark.pandas")
    for value in ("IMPORT PYSPARK.PANDAS AS PS", "import pyspark.pandas as ps; import numpy as np", "from . import x"):
        with pytest.raises(P.AnswerError):
            P.import_alias(value)


def test_keyword_names():
    for value in ("name", "name=", 'name="model"', "`name`", 'mlflow.sklearn.log_model(model, name="model")'):
        assert P.keyword_name(value) == "name"
    assert P.keyword_name("Name") == "Name"                     # read as written; the check is case-sensitive
    assert P.keyword_name('log_model(model, artifact_path="model")') == "artifact_path"


def test_output_modes():
    for value in ("complete", "Complete", 'outputMode("complete")', '.outputMode("Complete")', "complete mode"):
        assert P.output_mode(value) == "complete"
    assert P.output_mode("update") == "update"
    for value in ("complete or update", 'outputMode(mode)', ""):
        with pytest.raises(P.AnswerError):
            P.output_mode(value)


def test_python_calls_bind_arguments_as_written():
    function, args, kwargs = P.python_call('client.predict(endpoint="delays", inputs=body)', "predict")
    assert function == "client.predict" and args == [] and kwargs["endpoint"] == "delays"
    assert type(kwargs["inputs"]).__name__ == "_Code" and kwargs["inputs"] == "body"
    assert P.python_call('client.predict("delays", body)', "predict")[1] == ["delays", "body"]
