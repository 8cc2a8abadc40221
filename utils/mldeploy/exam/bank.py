"""The practice exam's question bank (lesson 10): stems and options only, no answer keys.

Each question serves one syllabus objective (``objective``) and names the exam-guide sections it serves
(``guides``, keys of GUIDES). ``kind`` says how the answer is read (``paper.check``): ``choice`` (a letter;
the options are shown shuffled unless ``shuffle`` is False), ``number``, ``time``, or a written answer read
as code (``model_uri``, ``trigger``, ``spark_udf``, ``mlflow_run``, ``scoring_body``, ``routes``, ``path``,
``import``, ``keyword``, ``output_mode``, ``call``, ``expression``), described to the learner by ``answer``.

The keys, explanations and distractor feedback are in the hidden test cells of
``solutions/10_practice_exam/10_practice_exam.ipynb`` (one cell per objective): this file is readable from
the grading sandbox, the solutions are not. Adding or removing a question of an objective changes which
questions of that objective each seed draws (and no other objective's): add its key to the objective's hidden
cell, and if the lesson's own paper (its SEED) changes, rewrite that group's reference answers
(``tests/test_exam_bank.py`` says which).
"""

GUIDES = {
    "pro25-rollout": (
        "ML Professional exam (guide of September 2025), Model Deployment (12%): rollout strategies (blue/green, "
        "canary, traffic splits) on Model Serving"
    ),
    "pro25-serving": (
        "ML Professional exam (September 2025), Model Deployment (12%): custom pyfunc models with artifacts; "
        "deploying and querying endpoints by REST and with the MLflow Deployments SDK"
    ),
    "pro25-mlops": (
        "ML Professional exam (September 2025), MLOps (44%): model lifecycle (registry, aliases, promotion), "
        "testing and CI, environments, retraining, monitoring"
    ),
    "pro25-dev": (
        "ML Professional exam (September 2025), Model Development (44%): tracking, scaling out training and "
        "tuning, pandas code on Spark"
    ),
    "assoc25-patterns": (
        "ML Associate exam (guide of March 2025), Model Deployment: batch, streaming and real-time patterns "
        "(batch inference with pandas, streaming inference with Lakeflow pipelines)"
    ),
    "assoc25-endpoints": (
        "ML Associate exam (March 2025), Model Deployment: custom model endpoints, querying them, splitting "
        "traffic"
    ),
    "assoc25-mlflow": (
        "ML Associate exam (March 2025), Databricks Machine Learning: MLflow tracking, models and the registry"
    ),
    "pro-deploy": (
        "ML Professional exam (earlier guide), Model Deployment: batch, streaming and real-time deployment, the "
        "part the syllabus's B, S and R groups follow"
    ),
}

GROUPS = {
    "M": "Model management (MLflow)",
    "B": "Batch deployment",
    "S": "Streaming deployment",
    "R": "Real-time deployment",
    "D": "Choosing and operating a deployment",
}

#: The headings of the lesson's sections, one per syllabus objective.
TITLES = {
    "M1": "Reproducibility",
    "M2": "MLflow Tracking",
    "M3": "MLflow Models",
    "M4": "Model Registry",
    "M5": "Throughput versus latency",
    "M6": "Single-node models at scale",
    "M7": "The pandas API on Spark",
    "M8": "MLflow Projects",
    "B1": "When batch is the answer",
    "B2": "The batch job",
    "B3": "Serving precomputed predictions",
    "B4": "Less performant storage",
    "B5": "Loading registered models",
    "B6": "`spark_udf`",
    "B7": "Z-order and data skipping",
    "B8": "Partitioning",
    "B9": "`score_batch`",
    "B10": "Batch inference with pandas",
    "S1": "Streaming ETL and triggers",
    "S2": "Continuous inference",
    "S3": "Business logic in the stream",
    "S4": "Event time and watermarks",
    "S5": "A time-based prediction store",
    "S6": "Batch inference to streaming",
    "S7": "Batch writes to streaming writes",
    "S8": "Declarative pipelines",
    "S9": "Fault tolerance and monitoring",
    "R1": "When real time is the answer",
    "R2": "Just-in-time features",
    "R3": "An endpoint per stage or alias",
    "R4": "Several models in one server",
    "R5": "REST requests",
    "R6": "Containers",
    "R7": "A custom pyfunc behind an endpoint",
    "R8": "Splitting traffic",
    "R9": "Latency percentiles and throughput",
    "D1": "Batch, streaming or real time",
    "D2": "Production concerns",
    "D3": "DevOps and ModelOps",
    "D4": "The three architectures",
    "D5": "Phases, retraining, warm starts",
    "D6": "Deployment strategies",
    "D7": "Web service or stream",
    "D8": "The tool landscape",
}

#: Questions per objective on every paper: 60 in all. One per objective, two for the objectives the
#: current guides weigh most (the reason is given beside each).
BLUEPRINT = {
    "M1": 1,
    "M2": 1,
    "M3": 2,  # custom pyfunc with artifacts (Professional, Model Deployment)
    "M4": 2,  # model lifecycle, aliases, promotion (Professional, MLOps)
    "M5": 1,
    "M6": 1,
    "M7": 1,
    "M8": 1,
    "B1": 1,
    "B2": 1,
    "B3": 1,
    "B4": 1,
    "B5": 1,
    "B6": 2,  # batch inference at scale (both guides' batch pattern)
    "B7": 1,
    "B8": 1,
    "B9": 1,
    "B10": 2,  # batch inference with pandas (Associate, Model Deployment)
    "S1": 1,
    "S2": 2,  # streaming inference (Associate, Model Deployment)
    "S3": 1,
    "S4": 1,
    "S5": 1,
    "S6": 1,
    "S7": 1,
    "S8": 2,  # streaming with Lakeflow (declarative) pipelines (Associate, Model Deployment)
    "S9": 2,  # fault tolerance of streaming deployments (Professional, MLOps: operating pipelines)
    "R1": 1,
    "R2": 1,
    "R3": 1,
    "R4": 1,
    "R5": 2,  # querying endpoints by REST and with the MLflow Deployments SDK (Professional, Model Deployment)
    "R6": 1,
    "R7": 2,  # custom models behind endpoints (both guides)
    "R8": 2,  # traffic splits on Model Serving (both guides)
    "R9": 2,  # serving performance against an SLA (Professional, Model Deployment)
    "D1": 2,  # choosing batch, streaming or real time (Associate, Model Deployment)
    "D2": 2,  # reliability, scalability, security, maintainability (Professional, MLOps)
    "D3": 2,  # testing and CI/CD for models (Professional, MLOps)
    "D4": 1,
    "D5": 2,  # environments, retraining, warm starts (Professional, MLOps)
    "D6": 2,  # rollout strategies (Professional, Model Deployment)
    "D7": 1,
    "D8": 1,
}

QUESTIONS = [
    {
        "id": "M1a",
        "objective": "M1",
        "guides": ["pro25-mlops"],
        "kind": "choice",
        "stem": (
            "A colleague retrains last month's delay model from the same notebook, at the same git commit (logged"
            " as a tag of the run), and gets a different AUC. Since then, data engineers have corrected rows in "
            "the Delta table `flights` the model was trained on. Which step most directly lets them rebuild the "
            "original model?"
        ),
        "options": [
            "Fix the classifier's random seed and retrain on the current table.",
            "Retrain on `flights` read at the table version logged with the original run.",
            "Pin scikit-learn to its newest release and retrain on the current table.",
            "Retrain with as many Spark partitions as the original run used.",
        ],
    },
    {
        "id": "M1b",
        "objective": "M1",
        "guides": ["pro25-mlops"],
        "kind": "choice",
        "stem": "Which of these does **not** threaten the reproducibility of a training run?",
        "options": [
            "A library left unpinned in the environment.",
            "Environment files (`requirements.txt`, `python_env.yaml`) logged with the model.",
            "A `collect_list` whose order depends on task timing, feeding a feature.",
            "Notebook cells executed out of order before the final fit.",
        ],
    },
    {
        "id": "M1c",
        "objective": "M1",
        "guides": ["pro25-mlops", "assoc25-mlflow"],
        "kind": "choice",
        "stem": (
            "A training run reads the Delta table `flights` with `spark.read.table(\"flights\")`. What should it "
            "log so that anyone can read exactly the same rows a year from now?"
        ),
        "options": [
            "The table's name only: `spark.read.table(\"flights\")` will read the version the run used.",
            (
                "The table version it read (from `DESCRIBE HISTORY`), as a parameter or tag, to reread with "
                "`versionAsOf` while `VACUUM` has kept its files."
            ),
            (
                "The row count and a checksum of the table, so that a changed table is detected and the run "
                "refused."
            ),
            "The table's schema, as the model's input example, so that the columns can be rebuilt.",
        ],
    },
    {
        "id": "M2a",
        "objective": "M2",
        "guides": ["assoc25-mlflow", "pro25-dev"],
        "kind": "choice",
        "stem": (
            "During training you want the validation loss of **every epoch** as a curve in the MLflow UI, "
            "comparable across runs. Which call, inside the epoch loop?"
        ),
        "options": [
            "`mlflow.log_metric(\"val_loss\", loss, step=epoch)`",
            "`mlflow.log_param(f\"val_loss_{epoch}\", loss)`",
            "`mlflow.set_tag(\"val_loss\", str(loss))`",
            "`mlflow.log_dict({\"epoch\": epoch, \"val_loss\": loss}, \"val_loss.json\")`",
        ],
    },
    {
        "id": "M2b",
        "objective": "M2",
        "guides": ["assoc25-mlflow"],
        "kind": "choice",
        "stem": (
            "An experiment holds 40 runs. You need the run with the best `val_auc` among those whose tag "
            "`git_commit` is `3f2a9c1`. What is the direct way?"
        ),
        "options": [
            "`mlflow.search_runs([eid], \"metrics.val_auc > 0\", order_by=[\"tags.git_commit DESC\"])`",
            "`mlflow.search_runs([eid], \"params.git_commit = '3f2a9c1'\", order_by=[\"metrics.val_auc\"])`",
            "`mlflow.search_runs([eid], \"tags.git_commit = '3f2a9c1'\", order_by=[\"metrics.val_auc DESC\"])`",
            "`mlflow.last_active_run()`, then compare its `data.metrics[\"val_auc\"]` with the others by hand",
        ],
    },
    {
        "id": "M2c",
        "objective": "M2",
        "guides": ["assoc25-mlflow"],
        "kind": "choice",
        "stem": (
            "You made a matplotlib confusion matrix `fig` for the run. How do you keep it with the run, visible "
            "in the UI?"
        ),
        "options": [
            "`mlflow.log_figure(fig, \"confusion_matrix.png\")`",
            "`mlflow.log_metric(\"confusion_matrix\", fig)`",
            "`mlflow.log_param(\"confusion_matrix\", fig)`",
            "`mlflow.set_tag(\"confusion_matrix\", \"see notebook\")`",
        ],
    },
    {
        "id": "M3a",
        "objective": "M3",
        "guides": ["pro25-serving", "assoc25-endpoints"],
        "kind": "choice",
        "stem": (
            "Callers will send raw flight rows (carrier as text, departure time as `HH:MM`) and want back a "
            "label, `late` or `on time`. The trained scikit-learn classifier needs encoded numeric features. How "
            "do you deploy the pre-processing, the model and the post-processing as one unit?"
        ),
        "options": [
            "Log the classifier with `mlflow.sklearn.log_model`; callers encode inputs as documented.",
            "Log the classifier and a separate encoder model; each consumer chains them.",
            "Log a `mlflow.pyfunc.PythonModel` whose `predict` encodes, predicts and labels.",
            "Log the classifier with an input example that shows the encoded features.",
        ],
    },
    {
        "id": "M3b",
        "objective": "M3",
        "guides": ["assoc25-mlflow"],
        "kind": "choice",
        "stem": "What does a model **signature** logged with an MLflow model do?",
        "options": [
            "It stores a hash of the model file, so a tampered model is refused at load time.",
            "It names and types the inputs and outputs (and any params), so pyfunc can check each request.",
            "It lists the package versions the model needs, so a server can rebuild them.",
            "It records the git commit of the training code, for lineage.",
        ],
    },
    {
        "id": "M3c",
        "objective": "M3",
        "guides": ["assoc25-mlflow"],
        "kind": "keyword",
        "answer": "a keyword argument's name",
        "stem": (
            "MLflow 3 warns that `mlflow.sklearn.log_model(model, artifact_path=\"model\")` uses a deprecated "
            "parameter. Write the name of the keyword argument that replaces `artifact_path`."
        ),
    },
    {
        "id": "M3d",
        "objective": "M3",
        "guides": ["pro25-serving"],
        "kind": "choice",
        "stem": (
            "A custom `PythonModel` needs, at serving time, a fitted encoder saved as `encoder.joblib` and a "
            "lookup file `airports.csv`. How do they travel with the model so that any endpoint can load them?"
        ),
        "options": [
            (
                "Pass them as `artifacts={\"encoder\": ..., \"airports\": ...}` to `log_model`; read "
                "`context.artifacts[...]` in `load_context`."
            ),
            (
                "Open them in `predict` from the paths they had on the training machine (e.g. "
                "`/home/me/encoder.joblib`)."
            ),
            (
                "Pass their paths in `model_config={...}`; the model reads the files from those paths when it is "
                "loaded."
            ),
            "Download them from object storage inside `predict`, with a client created on each request.",
        ],
    },
    {
        "id": "M3e",
        "objective": "M3",
        "guides": ["pro25-serving"],
        "kind": "expression",
        "answer": "one Python expression",
        "stem": (
            "A custom model was logged with `artifacts={\"encoder\": \"encoder.joblib\"}`. Inside `load_context(self,"
            " context)`, write the expression that gives the local path of that file."
        ),
    },
    {
        "id": "M4a",
        "objective": "M4",
        "guides": ["assoc25-mlflow", "pro25-mlops"],
        "kind": "model_uri",
        "answer": "a model URI",
        "stem": (
            "The registered model `flight_delay` has the alias `champion` on version 7. Write the model URI that "
            "loads **whatever version is champion** (so the job needs no change when the alias moves)."
        ),
    },
    {
        "id": "M4b",
        "objective": "M4",
        "guides": ["assoc25-mlflow"],
        "kind": "choice",
        "stem": (
            "An old batch job loads `models:/flight_delay/Production`, and it runs against an MLflow 3 workspace "
            "(open-source) registry. What is true?"
        ),
        "options": [
            "It fails: MLflow 3 removed stages, so the job must switch to an alias URI first.",
            "It loads the version whose `stage` tag says Production: stages became tags in MLflow 3.",
            "It loads the latest version in Production; stages are deprecated in favour of aliases.",
            "It loads the newest version whatever its stage, as deprecated stages are ignored.",
        ],
    },
    {
        "id": "M4c",
        "objective": "M4",
        "guides": ["pro25-mlops"],
        "kind": "choice",
        "stem": (
            "An auditor points at version 4 of `flight_delay` and asks which parameters and data trained it. "
            "Where do you start?"
        ),
        "options": [
            "The registered model's description and tags.",
            "The alias that points at the version.",
            "The model signature stored with the version.",
            "The version's `run_id`, and the run it names.",
        ],
    },
    {
        "id": "M4d",
        "objective": "M4",
        "guides": ["pro25-mlops", "assoc25-mlflow"],
        "kind": "call",
        "answer": "one Python call",
        "stem": (
            "Version 8 of `flight_delay` passed its checks. With `client = MlflowClient()`, write the one call "
            "that makes version 8 the `champion` (today's API, not a stage transition)."
        ),
    },
    {
        "id": "M4e",
        "objective": "M4",
        "guides": ["pro25-mlops", "assoc25-mlflow"],
        "kind": "choice",
        "stem": (
            "A job runs with `mlflow.set_registry_uri(\"databricks-uc\")` and `client = MlflowClient()`. Unity "
            "Catalog holds `dev.ml.flight_delay`, whose `@champion` is set, and `prod.ml.flight_delay`, which has a "
            "version 3; the job holds every privilege on both. Which call fails?"
        ),
        "options": [
            "`client.set_registered_model_alias(\"prod.ml.flight_delay\", \"champion\", 3)`",
            "`client.transition_model_version_stage(\"prod.ml.flight_delay\", 3, \"Production\")`",
            "`mlflow.pyfunc.load_model(\"models:/prod.ml.flight_delay@champion\")`, once the alias is set",
            "`client.copy_model_version(\"models:/dev.ml.flight_delay@champion\", \"prod.ml.flight_delay\")`",
        ],
    },
    {
        "id": "M4f",
        "objective": "M4",
        "guides": ["pro25-mlops", "assoc25-mlflow"],
        "kind": "choice",
        "stem": (
            "With the registry set to `databricks-uc`, a job logs a scikit-learn model with "
            "`mlflow.sklearn.log_model(model, name=\"model\")`, no signature and no input example, then "
            "registers it with `mlflow.register_model(model_uri, \"prod.ml.flight_delay\")`. What happens?"
        ),
        "options": [
            "It registers; Unity Catalog reads the signature from the training dataset the run logged.",
            "It registers; a signature is needed only when the version is served behind an endpoint.",
            "It registers, but the version cannot take an alias until a signature is added to it.",
            "Registration fails: a Unity Catalog model version needs a signature with inputs and outputs.",
        ],
    },
    {
        "id": "M4g",
        "objective": "M4",
        "guides": ["pro25-mlops"],
        "kind": "choice",
        "stem": (
            "The dev workspace approved a version, `dev.ml.delay@candidate`; production code loads "
            "`models:/prod.ml.delay@champion`. The release job runs `v = MlflowClient().copy_model_version("
            "\"models:/dev.ml.delay@candidate\", \"prod.ml.delay\")`. What is true right after the call?"
        ),
        "options": [
            (
                "`prod.ml.delay` has a new version `v.version`, with the dev version's files and run; it has no "
                "alias yet, so production code still loads the previous champion."
            ),
            (
                "`prod.ml.delay@candidate` points at the copy, since aliases travel with the version; production "
                "code keeps loading `@champion` until someone moves it."
            ),
            (
                "The version has moved to prod: `models:/dev.ml.delay@candidate` no longer resolves, so the dev "
                "jobs that load it fail until the next version is approved."
            ),
            (
                "`prod.ml.delay` has a new version that points at the dev version's files, so deleting the dev "
                "version later breaks every production load of the copy."
            ),
        ],
    },
    {
        "id": "M5a",
        "objective": "M5",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "A card-payment fraud check must answer each authorisation within 50 ms (p99), one transaction at a "
            "time. A teammate proposes a Spark job, started per request, that applies the model with `spark_udf`."
            " What is the best objection?"
        ),
        "options": [
            "Spark cannot run scikit-learn models; it must first be rewritten in Spark ML.",
            "Spark cannot parse a single JSON request; it needs files or tables as input.",
            (
                "Spark costs more per row than a REST server, so at this volume the monthly bill would be far too"
                " high."
            ),
            (
                "Each Spark job's planning, scheduling and task launch take far longer than 50 ms; serve outside "
                "Spark."
            ),
        ],
    },
    {
        "id": "M5b",
        "objective": "M5",
        "guides": ["pro-deploy"],
        "kind": "number",
        "answer": "a number of hours",
        "stem": (
            "A batch job scores 10 million rows in 20 minutes on a cluster. A REST endpoint answers one row in 5 "
            "ms. How many **hours** would one client need to score the same 10 million rows by calling the "
            "endpoint one row at a time, one call after the other? (to one decimal)"
        ),
    },
    {
        "id": "M6a",
        "objective": "M6",
        "guides": ["pro25-dev", "pro-deploy"],
        "kind": "choice",
        "stem": (
            "You must score 50 million rows of a Delta table with a scikit-learn model of 300 MB, on a cluster. "
            "Which approach loads the model **once per task** and predicts on vectorised batches?"
        ),
        "options": [
            "A Python `udf` that loads the model with `joblib.load` and predicts its row.",
            "`toPandas()` on the driver, then one `model.predict` over the whole frame.",
            "`mapInPandas` whose function loads the model once, then predicts each batch it is given.",
            "A broadcast model used inside a row-at-a-time Python `udf`.",
        ],
    },
    {
        "id": "M6b",
        "objective": "M6",
        "guides": ["pro25-dev"],
        "kind": "choice",
        "stem": (
            "You want to try 64 hyperparameter settings of a small scikit-learn model whose training set fits in "
            "memory. How do you use the cluster, and how does it differ from batch scoring?"
        ),
        "options": [
            "Use `mapInPandas` over the training rows, all 64 candidates per batch.",
            "Split the training rows over tasks; fit each candidate once per slice.",
            "Run one candidate per Spark task, each on the full training set.",
            "Use the pandas API on Spark, which parallelises scikit-learn fits.",
        ],
    },
    {
        "id": "M6c",
        "objective": "M6",
        "guides": ["pro25-dev"],
        "kind": "choice",
        "stem": (
            "You need one small model per origin airport (about 100 airports), each trained on that airport's "
            "flights, in parallel on the cluster. Which API fits?"
        ),
        "options": [
            (
                "`df.groupBy(\"origin\").applyInPandas(train_one, schema)`: each group arrives whole as one pandas "
                "frame."
            ),
            "`df.mapInPandas(train_one, schema)`: each batch is one airport.",
            "`mlflow.pyfunc.spark_udf` of an untrained model, applied per row.",
            "One `HistGradientBoostingClassifier` with `origin` as a categorical feature, fitted on the driver.",
        ],
    },
    {
        "id": "M7a",
        "objective": "M7",
        "guides": ["pro25-dev"],
        "kind": "choice",
        "stem": (
            "You move pandas feature code to the pandas API on Spark 4.2; `psdf` and `other_psdf` are two of its "
            "DataFrames, with their default indexes. Which line does **not** work unchanged?"
        ),
        "options": [
            "`psdf.groupby(\"dest\")[\"arr_delay\"].mean()`",
            "`psdf[\"speed\"] = psdf[\"distance\"] / psdf[\"air_time\"]`",
            "`psdf[\"label\"] = other_psdf[\"label\"]`",
            "`late = [delay > 15 for delay in psdf[\"arr_delay\"]]`",
        ],
    },
    {
        "id": "M7b",
        "objective": "M7",
        "guides": ["pro25-dev"],
        "kind": "import",
        "answer": "one line of Python",
        "stem": (
            "Write the import line that gives you the pandas API on Spark under the name `ps` (formerly Koalas)."
        ),
    },
    {
        "id": "M7c",
        "objective": "M7",
        "guides": ["pro25-dev"],
        "kind": "choice",
        "stem": (
            "`sdf.pandas_api()` turns a Spark DataFrame (which has no index) into a pandas-on-Spark DataFrame. "
            "What index does it get, with the default settings of Spark 4.2?"
        ),
        "options": [
            "The index the table had when it was written from pandas, kept in the Delta metadata.",
            (
                "A made-up `distributed-sequence` index (0 to n-1, computed with an extra Spark job), unless you "
                "name a column with `index_col=`."
            ),
            "No index: like Spark DataFrames, pandas-on-Spark frames have none.",
            "A `sequence` index, computed on the driver one row at a time.",
        ],
    },
    {
        "id": "M8a",
        "objective": "M8",
        "guides": ["pro25-mlops"],
        "kind": "choice",
        "stem": (
            "Which file lets `mlflow run` re-run your training code with other parameters, by declaring its entry"
            " points, their parameters (with types and defaults) and its environment?"
        ),
        "options": ["`MLproject`", "`MLmodel`", "`requirements.txt`", "`python_env.yaml` alone"],
    },
    {
        "id": "M8b",
        "objective": "M8",
        "guides": ["pro25-mlops"],
        "kind": "mlflow_run",
        "answer": "a shell command",
        "stem": (
            "Write the shell command that runs the MLflow Project in the current folder (entry point `main`) with"
            " the parameter `alpha` set to 0.3, in the **current** Python environment (no new environment built)."
        ),
    },
    {
        "id": "M8c",
        "objective": "M8",
        "guides": ["pro25-mlops"],
        "kind": "choice",
        "stem": (
            "An `MLproject` declares, for entry point `main`, `alpha: {type: float, default: 0.1}` and `max_iter:"
            " {type: int}` (no default). What does `mlflow run . -P alpha=0.3 --env-manager local` do?"
        ),
        "options": [
            "Runs with `max_iter` set to 0, the default of an int.",
            (
                "Fails before running the command: no value was given for the parameter `max_iter`, which has no "
                "default."
            ),
            "Runs, and the training script's own default for `--max_iter` applies.",
            "Asks for `max_iter` on the terminal.",
        ],
    },
    {
        "id": "B1a",
        "objective": "B1",
        "guides": ["assoc25-patterns", "pro-deploy"],
        "kind": "choice",
        "stem": "Which case is **not** served well by a batch deployment?",
        "options": [
            "Next week's demand per store, for planners on Monday.",
            "Re-scoring last year's transactions for an audit.",
            "Churn scores for tonight's marketing e-mail to every customer on the list.",
            "A loan decision for an applicant waiting on the web form, from what they just typed.",
        ],
    },
    {
        "id": "B1b",
        "objective": "B1",
        "guides": ["assoc25-patterns", "pro-deploy"],
        "kind": "choice",
        "stem": (
            "A nightly batch job scores every customer for a recommendation shown in the app. Which new "
            "requirement means batch alone is no longer enough?"
        ),
        "options": [
            "The customer table grows from 2 to 20 million rows.",
            "Scoring all customers now takes 40 minutes instead of 10.",
            "Recommendations must react to what the customer put in the basket a few seconds ago.",
            "Analysts want last month's recommendations for a report.",
        ],
    },
    {
        "id": "B2a",
        "objective": "B2",
        "guides": ["pro-deploy", "assoc25-patterns"],
        "kind": "choice",
        "stem": (
            "The nightly job that writes predictions for 2025-03-02 into a Delta table failed halfway, and is run"
            " again. Which design leaves exactly one prediction per flight for that day, the other days "
            "untouched, and tells consumers which model produced each row?"
        ),
        "options": [
            (
                "Replace that day's rows in one transaction (`replaceWhere`), writing the model version with each"
                " row."
            ),
            "Append the day's rows again; consumers keep the newest row per flight.",
            "Write each run to a new table named with the run's timestamp.",
            "Overwrite the whole table with the day's rows, adding a column with the model version.",
        ],
    },
    {
        "id": "B2b",
        "objective": "B2",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "Which Delta write makes a re-run of the day `2025-03-02` idempotent, leaving the other days as they "
            "are?"
        ),
        "options": [
            "`df.write.format(\"delta\").mode(\"append\").save(path)`",
            "`df.write.format(\"delta\").mode(\"overwrite\").save(path)`",
            (
                "`df.write.format(\"delta\").mode(\"overwrite\").option(\"replaceWhere\", \"flight_date = "
                "'2025-03-02'\").save(path)`"
            ),
            "`df.write.format(\"delta\").mode(\"ignore\").save(path)`",
        ],
    },
    {
        "id": "B2c",
        "objective": "B2",
        "guides": ["assoc25-patterns", "pro-deploy"],
        "kind": "choice",
        "stem": (
            "A nightly Databricks SQL job runs `SELECT flight_id, ai_query('delays', named_struct('dep_hour', "
            "dep_hour, 'distance', distance), returnType => 'DOUBLE') AS p FROM flights_today`. What does it do?"
        ),
        "options": [
            (
                "It loads the registered model named `delays` into the SQL warehouse and scores the rows there, "
                "with no serving endpoint involved."
            ),
            (
                "It builds a prompt from each row and asks a foundation model to guess `p`; `delays` only names "
                "the prompt template."
            ),
            (
                "It sends each row as a request to the Model Serving endpoint `delays` and returns each answer in "
                "the column `p`: batch inference with no UDF code."
            ),
            (
                "It runs as in open-source Spark, where `ai_query` is a built-in SQL function, so the job can move "
                "off Databricks unchanged."
            ),
        ],
    },
    {
        "id": "B3a",
        "objective": "B3",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "A web shop shows each signed-in customer a 'next best offer' that a model computes nightly. Peak "
            "load is 20,000 page views per second and the page allows 10 ms for the offer. How do you serve it?"
        ),
        "options": [
            "Call a model-serving endpoint for the customer on every page view.",
            "Query the Delta predictions table with Spark SQL on every page view.",
            "Look up the nightly prediction by customer id in an online key-value store.",
            "Ship the model to the browser and score the customer there.",
        ],
    },
    {
        "id": "B3b",
        "objective": "B3",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "Nightly offers are precomputed per customer and served from an online store by customer id. Which "
            "request does this design **not** answer well?"
        ),
        "options": [
            "A returning customer at peak time.",
            "20,000 lookups per second for known customers.",
            "A customer who signed up an hour ago, after last night's batch.",
            "An analyst joining last month's offers with purchases.",
        ],
    },
    {
        "id": "B4a",
        "objective": "B4",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "Predictions for 500 stores are read once a week by an analyst who loads all of them into a notebook."
            " What storage fits?"
        ),
        "options": [
            "An online key-value store with read replicas.",
            "A REST endpoint that returns one store per call.",
            "Parquet or Delta files on object storage.",
            "An in-memory cache refreshed weekly.",
        ],
    },
    {
        "id": "B4b",
        "objective": "B4",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "Daily predictions are written as CSV files on object storage; a dashboard reads one day and one "
            "carrier at a time, and has become slow. Which change keeps cheap file storage and speeds the reads "
            "up most?"
        ),
        "options": [
            "Gzip the CSV files, so that there are fewer bytes to read.",
            "Write Parquet or Delta, partitioned by date: columnar, compressed, with statistics.",
            "Load the predictions into an online key-value store keyed by date and carrier.",
            "Split the CSV files into one file per prediction, for parallel reads.",
        ],
    },
    {
        "id": "B5a",
        "objective": "B5",
        "guides": ["assoc25-mlflow"],
        "kind": "choice",
        "stem": "Which call loads **exactly version 3** of `flight_delay`?",
        "options": [
            "`mlflow.pyfunc.load_model(\"models:/3/flight_delay\")`",
            "`mlflow.pyfunc.load_model(\"models:/flight_delay@3\")`",
            "`mlflow.pyfunc.load_model(\"runs:/flight_delay/3\")`",
            "`mlflow.pyfunc.load_model(\"models:/flight_delay/3\")`",
        ],
    },
    {
        "id": "B5b",
        "objective": "B5",
        "guides": ["assoc25-mlflow"],
        "kind": "model_uri",
        "answer": "a model URI",
        "stem": (
            "Legacy registry: write the model URI that loads the version of `flight_delay` in the **Staging "
            "stage**."
        ),
    },
    {
        "id": "B5c",
        "objective": "B5",
        "guides": ["assoc25-mlflow"],
        "kind": "model_uri",
        "answer": "a model URI",
        "stem": (
            "Write the model URI that loads the **newest** registered version of `flight_delay`, whatever its "
            "aliases or stages."
        ),
    },
    {
        "id": "B6a",
        "objective": "B6",
        "guides": ["pro-deploy", "assoc25-patterns"],
        "kind": "choice",
        "stem": (
            "A registered scikit-learn model must score a 200-million-row Delta table every night on a Spark "
            "cluster. Which is the MLflow way?"
        ),
        "options": [
            "Turn the registered model into a Spark UDF with MLflow; apply it with `withColumn`.",
            "Collect the table with `toPandas()` and call `model.predict` once.",
            "Stream the rows to the driver with `toLocalIterator()` and call `predict` on each one.",
            "Retrain the model with Spark ML so that it can run on the executors.",
        ],
    },
    {
        "id": "B6b",
        "objective": "B6",
        "guides": ["pro-deploy", "assoc25-patterns"],
        "kind": "spark_udf",
        "answer": "one Python expression",
        "stem": (
            "Write the call (one expression) that makes a Spark UDF from the registered model `flight_delay` at "
            "its `champion` alias, with the session `spark`."
        ),
    },
    {
        "id": "B6c",
        "objective": "B6",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "The cluster's Python has scikit-learn 1.5; the model was logged with scikit-learn 1.3 in its "
            "requirements. You call `mlflow.pyfunc.spark_udf(spark, uri)` with MLflow 3.17's defaults. What "
            "happens?"
        ),
        "options": [
            (
                "MLflow builds a virtual environment with scikit-learn 1.3 on each executor, from the model's "
                "logged requirements."
            ),
            (
                "It runs with the cluster's scikit-learn 1.5 (`env_manager` defaults to `local`), perhaps with a "
                "warning; `env_manager=\"virtualenv\"` or `\"uv\"` would use 1.3."
            ),
            "The call fails at once: MLflow refuses a model whose logged versions differ from the cluster's.",
            "MLflow installs scikit-learn 1.3 into the cluster's Python for the job, and restores 1.5 after it.",
        ],
    },
    {
        "id": "B6d",
        "objective": "B6",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": "How does a `spark_udf` made from a scikit-learn pyfunc run inside a Spark job?",
        "options": [
            "The driver scores every row and sends the predictions to the executors.",
            "MLflow translates the model into Spark SQL expressions that run in the JVM.",
            (
                "Python workers on the executors load the model and call `predict` on Arrow batches of rows (as "
                "pandas frames)."
            ),
            "Each executor starts a local model server, and the UDF sends it each row over HTTP.",
        ],
    },
    {
        "id": "B7a",
        "objective": "B7",
        "guides": ["pro-deploy"],
        "kind": "number",
        "answer": "a number of files",
        "stem": (
            "A predictions table was Z-ordered by `dest` into 6 files. Delta's statistics give each file's "
            "minimum and maximum `dest`: f1 `ATL`-`BOS`, f2 `BOS`-`DEN`, f3 `DFW`-`LAX`, f4 `LAS`-`MIA`, f5 "
            "`MSP`-`ORD`, f6 `PHX`-`SFO`. How many files does `SELECT * FROM preds WHERE dest = 'LAX'` have to "
            "read?"
        ),
    },
    {
        "id": "B7b",
        "objective": "B7",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "A new predictions table in Delta 4 is queried by `carrier` and `dest`, and the columns queried may "
            "change next year. What replaces partitioning plus periodic `OPTIMIZE ... ZORDER BY`?"
        ),
        "options": [
            "Bucketing: `CLUSTERED BY (carrier, dest) INTO 64 BUCKETS`, fixed when the table is created.",
            "Liquid clustering: `CLUSTER BY (carrier, dest)`, keys changeable later.",
            "`VACUUM` after every write, so that readers list fewer files.",
            "A Bloom filter index on `carrier` and on `dest`.",
        ],
    },
    {
        "id": "B7c",
        "objective": "B7",
        "guides": ["pro-deploy"],
        "kind": "number",
        "answer": "a number of files",
        "stem": (
            "A predictions table clustered by `carrier` has 5 files with these min-max values of `carrier`: f1 "
            "`9E`-`B6`, f2 `B6`-`EV`, f3 `F9`-`MQ`, f4 `OO`-`UA`, f5 `US`-`YV`. How many files does `WHERE "
            "carrier IN ('AA', 'UA')` have to read? (Strings compare character by character, digits before "
            "letters.)"
        ),
    },
    {
        "id": "B8a",
        "objective": "B8",
        "guides": ["pro-deploy"],
        "kind": "number",
        "answer": "a number of files",
        "stem": (
            "A predictions table is partitioned by `flight_date`: 30 days, 4 files per day (120 files). How many "
            "files does partition pruning leave to read for `WHERE flight_date = '2025-03-02' AND carrier = 'AA'`"
            " (before any min/max statistics are used)?"
        ),
    },
    {
        "id": "B8b",
        "objective": "B8",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": "Which column should partition a 2 TB predictions table that almost every query filters by day?",
        "options": [
            "`flight_id`, unique per row",
            "`scored_at`, to the millisecond",
            "`delay_probability`",
            "`flight_date`",
        ],
    },
    {
        "id": "B8c",
        "objective": "B8",
        "guides": ["pro-deploy"],
        "kind": "number",
        "answer": "a number of files",
        "stem": (
            "A predictions table is partitioned by `flight_date`: 30 days, 4 files per day (120 files). A query "
            "filters on `WHERE carrier = 'AA'` only. How many files does partition pruning leave to read (before "
            "any min/max statistics are used)?"
        ),
    },
    {
        "id": "B9a",
        "objective": "B9",
        "guides": ["pro-deploy", "pro25-mlops"],
        "kind": "choice",
        "stem": (
            "Training computed `avg_delay_30d` in pandas; the nightly scoring job recomputes it in SQL, and live "
            "accuracy falls below validation. You re-log the model with `fe.log_model(..., training_set=...)`, "
            "where the training set looked `avg_delay_30d` up from a feature table by route, and score with "
            "`fe.score_batch(model_uri, df)`, `df` holding only `flight_id`, `route` and `flight_date`. What "
            "changes?"
        ),
        "options": [
            (
                "`score_batch` looks `avg_delay_30d` up by `route` in the same feature table training used: one "
                "implementation of the feature, so no training/serving skew from it."
            ),
            (
                "`score_batch` recomputes `avg_delay_30d` from raw flights with the pandas code saved in the "
                "training run."
            ),
            (
                "`score_batch` only checks that `df`'s features follow the training distribution; `df` must still"
                " hold every feature."
            ),
            "`score_batch` retrains the model whenever the looked-up features have drifted.",
        ],
    },
    {
        "id": "B9b",
        "objective": "B9",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "A model was logged with feature lookups on `customer_id` (from the table `customer_features`). What "
            "must the DataFrame given to `score_batch` contain?"
        ),
        "options": [
            "Every feature the model uses, already joined from `customer_features`.",
            (
                "The lookup key `customer_id` (and any features not looked up); `score_batch` joins the looked-up"
                " features."
            ),
            "`customer_id` and a timestamp column, which every feature lookup requires.",
            "Only the features that are not in `customer_features`; the key comes from the model.",
        ],
    },
    {
        "id": "B10a",
        "objective": "B10",
        "guides": ["assoc25-patterns"],
        "kind": "choice",
        "stem": (
            "A pandas batch job loads a registered model with `mlflow.pyfunc.load_model`, reads a day of flights "
            "with `pd.read_parquet`, calls `predict` and writes the result. The input grows to 40 million rows "
            "and the job runs out of memory on its VM. Which fix keeps the job in pandas and keeps memory "
            "bounded?"
        ),
        "options": [
            "Serve the model over REST and call it once per row.",
            "Load the model inside a loop over 1-million-row slices of the frame `read_parquet` returned.",
            (
                "Read and predict the file in slices (pyarrow's `ParquetFile.iter_batches`), model loaded once, "
                "appending each slice's output."
            ),
            "Set `pd.options.mode.copy_on_write = True`, so that `predict` makes no copies of the frame.",
        ],
    },
    {
        "id": "B10b",
        "objective": "B10",
        "guides": ["assoc25-patterns", "assoc25-mlflow"],
        "kind": "choice",
        "stem": (
            "A scikit-learn classifier was logged with `mlflow.sklearn.log_model(clf, name=\"model\")` (defaults). "
            "A pandas batch job loads it with `mlflow.pyfunc.load_model` and calls `predict(df)`. It needs delay "
            "**probabilities**. What does it get, and what gives probabilities?"
        ),
        "options": [
            (
                "Probabilities: the pyfunc wrapper of a classifier calls `predict_proba`, so that thresholds can "
                "be applied."
            ),
            (
                "Class labels, from the classifier's `predict`; log with `pyfunc_predict_fn=\"predict_proba\"` for "
                "probabilities."
            ),
            "An error: a model logged with the sklearn flavor must be loaded with `mlflow.sklearn.load_model`.",
            "A DataFrame with one probability column per class, plus the predicted label.",
        ],
    },
    {
        "id": "B10c",
        "objective": "B10",
        "guides": ["assoc25-patterns"],
        "kind": "choice",
        "stem": (
            "A model's signature has the columns `carrier` (string), `distance` (double) and `dep_hour` (long). A"
            " pandas batch job calls `model.predict(df)` where `df` has `carrier`, `distance` as int64, "
            "`tail_number` and no `dep_hour`. What happens with MLflow 3.17's schema enforcement?"
        ),
        "options": [
            "It predicts: the missing column is filled with nulls and the extra one dropped.",
            (
                "It fails: the model is missing the input `dep_hour` (the message also names the extra "
                "`tail_number`)."
            ),
            "It fails because `distance` is int64 instead of double.",
            "It predicts, ignoring the signature, because signatures are only documentation.",
        ],
    },
    {
        "id": "B10d",
        "objective": "B10",
        "guides": ["assoc25-patterns"],
        "kind": "choice",
        "stem": "Which pandas batch job is right for scoring yesterday's flights with the `@champion` model?",
        "options": [
            (
                "Load `models:/flight_delay@champion` once; read the day's rows; `predict`; write them with the "
                "model version and scoring time."
            ),
            "For each row of the day, load the model and call `predict` on that row.",
            "Retrain on yesterday's labelled flights first, then predict them, so the model is always fresh.",
            (
                "Load the model once; read the day's rows; `predict`; overwrite the whole predictions table with "
                "the result."
            ),
        ],
    },
    {
        "id": "S1a",
        "objective": "S1",
        "guides": ["pro-deploy", "assoc25-patterns"],
        "kind": "trigger",
        "answer": "a trigger call",
        "stem": (
            "Write the `trigger(...)` of a streaming write that processes **everything available now**, in as "
            "many micro-batches as needed, and then stops (today's API, not the deprecated one)."
        ),
    },
    {
        "id": "S1b",
        "objective": "S1",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "In open-source Spark (the course's setup), JSON files land in a folder every minute. You want them "
            "ingested incrementally into a bronze Delta table, each file exactly once, surviving restarts. Which "
            "is right?"
        ),
        "options": [
            "`spark.read.json` of the folder in a loop every minute, appending to Delta.",
            "`spark.readStream` of the folder with a schema; `writeStream` to Delta with a checkpoint location.",
            "`spark.readStream` of the folder with no schema given; `writeStream` to Delta with no checkpoint.",
            "A Kafka topic in between, because Structured Streaming cannot read files.",
        ],
    },
    {
        "id": "S1c",
        "objective": "S1",
        "guides": ["pro-deploy"],
        "kind": "trigger",
        "answer": "a trigger call",
        "stem": (
            "Spark 4.1+ **Real-time Mode**: write the `trigger(...)` for a query that processes records as they "
            "arrive, with a 5-second batch duration (the interval at which it checkpoints)."
        ),
    },
    {
        "id": "S1d",
        "objective": "S1",
        "guides": ["pro-deploy", "assoc25-patterns"],
        "kind": "choice",
        "stem": (
            "On Databricks, JSON files landing in a folder are read with Auto Loader: "
            "`spark.readStream.format(\"cloudFiles\").option(\"cloudFiles.format\", \"json\")`. You want Auto Loader to"
            " infer the schema, and evolve it when new fields appear. Which option enables that?"
        ),
        "options": [
            (
                "`cloudFiles.schemaLocation`, a folder where Auto Loader keeps the inferred schema and its "
                "versions."
            ),
            "`spark.sql.streaming.schemaInference` set to true.",
            "`mergeSchema` set to true on the read.",
            "`cloudFiles.useNotifications` set to true.",
        ],
    },
    {
        "id": "S2a",
        "objective": "S2",
        "guides": ["pro-deploy", "assoc25-patterns"],
        "kind": "choice",
        "stem": (
            "Departure events arrive all day, thousands per second. Operations want a delay prediction for every "
            "event on a dashboard within a minute; nobody waits on a single answer. Which deployment?"
        ),
        "options": [
            "A batch job every night over the day's events.",
            "A REST endpoint that the event producer calls once per event, storing each answer.",
            "A streaming query that applies the model's Spark UDF to each micro-batch.",
            "A batch job started by hand when the dashboard looks stale.",
        ],
    },
    {
        "id": "S2b",
        "objective": "S2",
        "guides": ["pro-deploy", "assoc25-patterns"],
        "kind": "choice",
        "stem": (
            "Events from Kafka must be scored by a scikit-learn pipeline within 5 seconds of arrival and written "
            "to a Delta table, in open-source Spark 4.2. Which fits?"
        ),
        "options": [
            (
                "A micro-batch query (e.g. `processingTime=\"1 second\"`) applying the model's `spark_udf`, written"
                " to Delta with a checkpoint."
            ),
            "Real-time Mode with the `spark_udf`, written straight to Delta.",
            "A REST call per event from a `foreach` writer, then a nightly load into Delta.",
            "An hourly batch job over the new events.",
        ],
    },
    {
        "id": "S2c",
        "objective": "S2",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "A running stream scores with `udf = mlflow.pyfunc.spark_udf(spark, "
            "\"models:/flight_delay@champion\")`, made when the query started. At noon, `@champion` moves from "
            "version 7 to version 8. Which version scores the events that arrive at 12:05?"
        ),
        "options": [
            "Version 8: Spark resolves the model URI again at the start of every micro-batch.",
            (
                "Version 7: the UDF resolved the alias and copied that model when it was made; a restart with a "
                "new UDF picks up 8."
            ),
            "Version 7 until the next checkpoint is written, then version 8.",
            "None: the query fails with a changed-model error at its next batch.",
        ],
    },
    {
        "id": "S2d",
        "objective": "S2",
        "guides": ["pro-deploy", "assoc25-patterns"],
        "kind": "choice",
        "stem": (
            "A stream adds a prediction to each event (no aggregation) and writes every scored event to a Delta "
            "table. Which output mode?"
        ),
        "options": [
            "`append`: each event's row is written once, when its micro-batch runs.",
            "`complete`: the whole table is rewritten each trigger.",
            "`update`: only changed rows are written.",
            "No output mode: streams into Delta have none.",
        ],
    },
    {
        "id": "S3a",
        "objective": "S3",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "Raise an alert when the predicted delay probability of a flight exceeds 0.8 in three consecutive "
            "events within 30 minutes. Where does that rule belong?"
        ),
        "options": [
            "In the streaming query, as stateful logic checkpointed with it.",
            "In the dashboard's front-end code, over the rows it receives.",
            "In a nightly batch query over the day's predictions.",
            "Inside the model's `predict`, which sees every event.",
        ],
    },
    {
        "id": "S3b",
        "objective": "S3",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "The alert rule needs, per flight, its last three predictions and a 30-minute timeout. Which Spark "
            "4.2 API keeps such per-key state across micro-batches, with timers, in Python?"
        ),
        "options": [
            "`transformWithStateInPandas`, with a `StatefulProcessor` holding the state per key.",
            "`groupBy(window(...)).count()`, a windowed aggregation.",
            "A Python dict in the driver, updated in `foreachBatch`.",
            "A broadcast variable updated after each batch.",
        ],
    },
    {
        "id": "S4a",
        "objective": "S4",
        "guides": ["pro-deploy"],
        "kind": "time",
        "stem": (
            "A query counts events per 10-minute event-time window with `withWatermark(\"event_time\", \"15 "
            "minutes\")`. The largest event time seen so far is 10:42. What is the watermark?"
        ),
    },
    {
        "id": "S4b",
        "objective": "S4",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "A query counts events per 10-minute event-time window, in append output mode, with a watermark; the "
            "watermark is now at 11:05. An event stamped 10:52 arrives. What happens?"
        ),
        "options": [
            "It is counted in the open window, by its arrival time.",
            "It is dropped: its window [10:50, 11:00) ended before the watermark.",
            "The query fails with a late-data error until restarted.",
            "It updates [10:50, 11:00), whose count is emitted again.",
        ],
    },
    {
        "id": "S4c",
        "objective": "S4",
        "guides": ["pro-deploy"],
        "kind": "time",
        "stem": (
            "A query counts events per 10-minute event-time window with `withWatermark(\"event_time\", \"15 "
            "minutes\")`, in append output mode. The window [10:00, 10:10) is emitted once the watermark reaches "
            "its end. What is the smallest largest-event-time seen that makes that happen?"
        ),
    },
    {
        "id": "S5a",
        "objective": "S5",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "A streaming job writes predictions for a dashboard that shows the last two hours, and auditors query"
            " whole months. How do you lay out the prediction store?"
        ),
        "options": [
            "Append to Delta, partitioned or clustered by event date and hour.",
            "Overwrite the Delta table with each micro-batch's predictions.",
            "Write one JSON file per prediction, named by its event time.",
            "Keep them in the memory sink and query it from the dashboard.",
        ],
    },
    {
        "id": "S5b",
        "objective": "S5",
        "guides": ["pro-deploy"],
        "kind": "number",
        "answer": "a number of partitions",
        "stem": (
            "A streaming job's prediction store is partitioned by event date and hour. At 12:15 the dashboard "
            "asks for events from 10:15 to 12:15 the same day. How many hour partitions does partition pruning "
            "keep?"
        ),
    },
    {
        "id": "S6a",
        "objective": "S6",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "A batch job reads `spark.read.table(\"events\")`, adds `udf(*features)` from `spark_udf`, and writes "
            "the result. What changes to make its **inference** streaming?"
        ),
        "options": [
            "Rewrite the model in Spark ML, which streaming requires.",
            "Read with `readStream`; keep the same UDF and transformations.",
            "Keep `read`, and call `predict` in `foreach` for each row.",
            "Read with `readStream`, then `toPandas()` each micro-batch.",
        ],
    },
    {
        "id": "S6b",
        "objective": "S6",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "After turning `spark.read.json(folder)` into `spark.readStream.json(folder)` in open-source Spark, "
            "the query does not start: a schema must be specified when creating a streaming source DataFrame. "
            "What is the fix?"
        ),
        "options": [
            "Give the schema: `spark.readStream.schema(EVENT_SCHEMA).json(folder)`.",
            "Add a checkpoint location.",
            "Switch the output mode to complete.",
            "Read the folder with `spark.read` first, then call `.readStream` on the result.",
        ],
    },
    {
        "id": "S7a",
        "objective": "S7",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "Consumers read the **latest** prediction per `flight_id`, updated as new events arrive. How does the"
            " stream write it into a Delta table?"
        ),
        "options": [
            "`outputMode(\"append\")` into the table, one row per event.",
            "`outputMode(\"update\")` straight into the Delta sink, no checkpoint.",
            "`outputMode(\"complete\")` of all events into the table.",
            "`foreachBatch` with a Delta MERGE on `flight_id`, and a checkpoint.",
        ],
    },
    {
        "id": "S7b",
        "objective": "S7",
        "guides": ["pro-deploy"],
        "kind": "output_mode",
        "answer": "an output mode",
        "stem": (
            "A streaming aggregation counts predictions per airport into a Delta table **with the Delta sink "
            "itself** (`writeStream.format(\"delta\")`, no `foreachBatch`), and the table must hold the full, "
            "current counts after every trigger. Which output mode? (one word)"
        ),
    },
    {
        "id": "S7c",
        "objective": "S7",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "`preds.write.format(\"delta\").mode(\"append\").save(path)` becomes "
            "`preds.writeStream.format(\"delta\")...start(path)`. Which setting does the streaming write need that "
            "the batch write did not?"
        ),
        "options": [
            "`option(\"checkpointLocation\", ...)`: where the query records its progress.",
            "`option(\"mergeSchema\", \"true\")`, since each micro-batch may add columns.",
            "`partitionBy(...)`, since a stream must be partitioned by time.",
            "`option(\"replaceWhere\", ...)`, to make each micro-batch idempotent.",
        ],
    },
    {
        "id": "S8a",
        "objective": "S8",
        "guides": ["assoc25-patterns", "pro-deploy"],
        "kind": "choice",
        "stem": (
            "In a declarative pipeline (Spark Declarative Pipelines; on Databricks, Lakeflow Spark Declarative "
            "Pipelines, formerly Delta Live Tables), what do you write and what does the engine own?"
        ),
        "options": [
            "Functions returning DataFrames; the engine owns order, checkpoints, retries.",
            "Streaming queries you start yourself in order, each with a checkpoint folder you choose.",
            "SQL only: the engine owns checkpoints, but Python is not allowed.",
            "Table definitions; you refresh each downstream table by hand.",
        ],
    },
    {
        "id": "S8b",
        "objective": "S8",
        "guides": ["assoc25-patterns", "pro-deploy"],
        "kind": "choice",
        "stem": (
            "A pipeline's streaming table function calls `mlflow.pyfunc.spark_udf(spark, uri)` and returns the "
            "events with a prediction column; `spark-pipelines run` fails with "
            "`ATTEMPT_ANALYSIS_IN_PIPELINE_QUERY_FUNCTION`. What fixes it?"
        ),
        "options": [
            "Create the UDF once at module level (outside the decorated function) and use it inside.",
            "Keep it inside, but wrap the call in `try`/`except` so the analysis error is ignored.",
            "Turn the streaming table into a materialized view, where the call is allowed.",
            "Cache the UDF with `functools.lru_cache` inside the function.",
        ],
    },
    {
        "id": "S8c",
        "objective": "S8",
        "guides": ["assoc25-patterns"],
        "kind": "choice",
        "stem": (
            "A pipeline declares `bronze` (a streaming table over JSON files), `scored` (a streaming table "
            "reading `bronze`) and `delay_rates` (a materialized view over `scored`), written in the file in the "
            "opposite order. How does the engine run them?"
        ),
        "options": [
            "In the order written in the file.",
            (
                "bronze, then scored, then delay_rates: it builds the dependency graph from what each function "
                "reads."
            ),
            "All three at once, independently.",
            "Alphabetically, by table name.",
        ],
    },
    {
        "id": "S8d",
        "objective": "S8",
        "guides": ["assoc25-patterns"],
        "kind": "choice",
        "stem": (
            "In open-source Spark Declarative Pipelines (Spark 4.2), how do you keep invalid events out of the "
            "scored table and still keep them for inspection?"
        ),
        "options": [
            (
                "Two tables over the same source: one filtered by the rule, one by its negation (a quarantine "
                "table)."
            ),
            (
                "Decorate the table with `@dp.expect_or_drop(\"valid\", rule)` and read the dropped rows from the "
                "event log."
            ),
            "Set `badRecordsPath` on the source and read the rejected events from there.",
            "Wrap the scoring UDF in `try`/`except` and return a null prediction for invalid events.",
        ],
    },
    {
        "id": "S9a",
        "objective": "S9",
        "guides": ["pro-deploy"],
        "kind": "number",
        "answer": "a batch id",
        "stem": (
            "A streaming query crashed. Its checkpoint holds `offsets/0` to `offsets/7` and `commits/0` to "
            "`commits/6`. It is restarted with the same checkpoint. Which batch id does it run first?"
        ),
    },
    {
        "id": "S9b",
        "objective": "S9",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "Which tells you the input rate, processing rate and duration of a running query's latest "
            "micro-batches?"
        ),
        "options": ["`query.recentProgress`", "`query.status['message']`", "`query.runId`", "`query.explain()`"],
    },
    {
        "id": "S9c",
        "objective": "S9",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "A stream's `foreachBatch` writes each batch to Delta with the options `txnAppId` (fixed per query) "
            "and `txnVersion` (the batch id). It crashes after batch 12's Delta write but before `commits/12`. "
            "After the restart, what does the Delta table hold for batch 12?"
        ),
        "options": [
            "Its rows twice.",
            (
                "Its rows once: batch 12 is re-run, and Delta skips a write whose (appId, version) it has already"
                " committed."
            ),
            "Nothing: the re-run is skipped because the offsets were committed.",
            "Its rows once, because `foreachBatch` never re-runs a batch.",
        ],
    },
    {
        "id": "S9d",
        "objective": "S9",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "Which change to a streaming query's code can you **not** make before restarting it on the same "
            "checkpoint?"
        ),
        "options": [
            "Adding a filter on `carrier`.",
            "Changing the trigger interval.",
            "Changing the grouping keys of its streaming aggregation.",
            "Renaming an output column of a stateless projection (the sink accepts the new schema).",
        ],
    },
    {
        "id": "S9e",
        "objective": "S9",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "A query is stopped and restarted from the same checkpoint. What happens to `query.id` and "
            "`query.runId`?"
        ),
        "options": [
            "Both stay the same.",
            "`id` stays the same (it belongs to the checkpoint); `runId` is new for each start.",
            "`id` is new; `runId` stays the same.",
            "Both are new.",
        ],
    },
    {
        "id": "R1a",
        "objective": "R1",
        "guides": ["assoc25-patterns", "pro-deploy"],
        "kind": "choice",
        "stem": "Which case needs real-time inference?",
        "options": [
            "A weekly sales forecast per store for the planners.",
            "Scoring 50 million customers for next month's campaign.",
            "A ride app quoting a fare when the rider taps 'request'.",
            "Tagging yesterday's support tickets by topic overnight.",
        ],
    },
    {
        "id": "R1b",
        "objective": "R1",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "In **open-source Spark 4.2**, what is true of Structured Streaming's Real-time Mode for scoring a "
            "Kafka stream?"
        ),
        "options": [
            "Every sink works, `foreachBatch` and Delta included, in append mode.",
            "Micro-batches run every second instead of every trigger interval, and any UDF is accepted.",
            "No checkpoint is kept, which is what makes it fast.",
            "Records are processed as they arrive; Python UDFs (so `spark_udf`) are not on its allowlist.",
        ],
    },
    {
        "id": "R1c",
        "objective": "R1",
        "guides": ["assoc25-patterns"],
        "kind": "choice",
        "stem": (
            "An insurance site shows a price estimate while the visitor fills in a form: about 200 quotes an "
            "hour, the page waits at most 300 ms, and the inputs are only known once typed. Which deployment?"
        ),
        "options": [
            "A batch job every hour that prices every possible combination of inputs.",
            "A model serving endpoint called by the page with the visitor's inputs.",
            "A streaming query that writes prices to a table the page polls.",
            "The model exported into the page's JavaScript.",
        ],
    },
    {
        "id": "R2a",
        "objective": "R2",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "A fraud model uses the amount of the transaction being authorised, the merchant's category, and the "
            "number of transactions on the card in the last 5 minutes. The team proposes to precompute scores "
            "nightly per card, as they do for churn. Why does that fail, and what works?"
        ),
        "options": [
            (
                "The amount and the 5-minute count exist only when the authorisation arrives: score at request "
                "time."
            ),
            "Nightly is too slow, but scores precomputed per card every hour would be fresh enough.",
            "Precompute a score per (card, merchant category) pair each night and look it up at authorisation.",
            "Keep the nightly score per card, and let the payment service adjust it by the amount.",
        ],
    },
    {
        "id": "R2b",
        "objective": "R2",
        "guides": ["pro25-serving"],
        "kind": "choice",
        "stem": (
            "On Databricks, a model logged with `fe.log_model` uses `avg_delay_30d` looked up by `route` from a "
            "feature table published to an online store, plus `dep_delay`, known only when the request is made. "
            "It is served on Model Serving. What does the client send?"
        ),
        "options": [
            "Every feature, `avg_delay_30d` included, computed by the client.",
            (
                "`route` and `dep_delay`: the endpoint looks `avg_delay_30d` up by `route` itself (automatic "
                "feature lookup)."
            ),
            "Only `route`: the endpoint reads `dep_delay` from the offline Delta table.",
            "Only `dep_delay`: the endpoint picks the route at random.",
        ],
    },
    {
        "id": "R3a",
        "objective": "R3",
        "guides": ["pro25-serving", "pro25-rollout"],
        "kind": "choice",
        "stem": (
            "On today's Databricks Model Serving, an endpoint serves version 6 of `flight_delay`. Version 7 "
            "becomes the `@champion`. How does the endpoint start answering with version 7?"
        ),
        "options": [
            "Nothing: a served entity follows the model's `@champion` alias and reloads when it moves.",
            (
                "Update the endpoint's config so that a served entity pins version 7 (all at once, or through a "
                "traffic split)."
            ),
            "Clients move to `/model/flight_delay/Production/invocations`, which follows the registry.",
            "Register version 7 under a new model name and create a second endpoint for it.",
        ],
    },
    {
        "id": "R3b",
        "objective": "R3",
        "guides": ["pro-deploy"],
        "kind": "path",
        "answer": "a URL path",
        "stem": (
            "Legacy MLflow Model Serving on Databricks (end of life 15 September 2025) gave each stage of a "
            "registered model its own URL. Write the **path** (no host) that scored with the version of "
            "`flight_delay` in **Staging**."
        ),
    },
    {
        "id": "R3c",
        "objective": "R3",
        "guides": ["pro25-serving"],
        "kind": "choice",
        "stem": (
            "After 15 September 2025 a client still posts to "
            "`https://<workspace>/model/flight_delay/Production/invocations`. What is the situation, and what "
            "replaces it?"
        ),
        "options": [
            "It works: stage URLs are permanent.",
            (
                "Legacy MLflow Model Serving has reached end of life, so that URL no longer serves; call a Model "
                "Serving endpoint at `/serving-endpoints/<endpoint>/invocations` (its served entity pins the "
                "version; the request format changed slightly too)."
            ),
            "It is redirected to the `@champion` alias.",
            "It works if the token is a service principal's.",
        ],
    },
    {
        "id": "R4a",
        "objective": "R4",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "One serving **process** hosts three models and two versions of each. Which is a **cost** of that "
            "design?"
        ),
        "options": [
            "A slow or crashing model affects every model in the process.",
            "Switching traffic between loaded versions is instant.",
            "There are fewer processes to start, secure and watch.",
            "A second version costs a model load, not a new process.",
        ],
    },
    {
        "id": "R4b",
        "objective": "R4",
        "guides": ["pro25-serving", "assoc25-endpoints"],
        "kind": "choice",
        "stem": (
            "A Databricks Model Serving endpoint serves two entities, `champion` and `challenger`. How does that "
            "differ from the course's endpoint, which hosts both in one Python process?"
        ),
        "options": [
            "No difference: Databricks also loads both into one process.",
            (
                "Each served entity runs on its own compute (its own workload size and scaling); the endpoint "
                "routes requests between them by `traffic_config`."
            ),
            "Databricks serves only one entity per endpoint.",
            "The entities share a GPU and a cache, so they must be the same model.",
        ],
    },
    {
        "id": "R5a",
        "objective": "R5",
        "guides": ["pro25-serving", "assoc25-endpoints"],
        "kind": "scoring_body",
        "answer": "a JSON body (a string, or a Python dict)",
        "stem": (
            "Write the JSON body, in the `dataframe_split` format, that asks a served model about one flight with"
            " `carrier` = `\"AA\"` and `distance` = `733`."
        ),
    },
    {
        "id": "R5b",
        "objective": "R5",
        "guides": ["pro25-serving"],
        "kind": "choice",
        "stem": (
            "An old client posts a bare split frame with `Content-Type: application/json; format=pandas-split` to"
            " a current `mlflow models serve`. What happens, and what is the fix?"
        ),
        "options": [
            "A 4xx: today's servers want the frame wrapped in a named key (`{\"dataframe_split\": ...}`).",
            "It is scored as before: the old content type is still honoured.",
            "A 500: the server crashes while parsing the frame.",
            "It is scored as `dataframe_records`, misreading the columns.",
        ],
    },
    {
        "id": "R5c",
        "objective": "R5",
        "guides": ["pro25-serving"],
        "kind": "call",
        "answer": "one Python call",
        "stem": (
            "With `client = mlflow.deployments.get_deploy_client(\"databricks\")`, write the call that queries the "
            "serving endpoint `delays` with `body`, a dict already in the `dataframe_split` format."
        ),
    },
    {
        "id": "R5d",
        "objective": "R5",
        "guides": ["pro25-serving", "assoc25-endpoints"],
        "kind": "choice",
        "stem": (
            "With `curl`, how does a client authenticate to a Databricks serving endpoint (or to the course's "
            "endpoint started with a token)?"
        ),
        "options": [
            "A header `Authorization: Bearer <token>`.",
            "The token as a query parameter: `.../invocations?token=<token>`.",
            "A header `X-Model-Token: <token>`.",
            "HTTP basic authentication with the workspace user's e-mail and password.",
        ],
    },
    {
        "id": "R5e",
        "objective": "R5",
        "guides": ["pro25-serving", "assoc25-endpoints"],
        "kind": "choice",
        "stem": (
            "A CI job outside Databricks queries the serving endpoint `delays`, once with "
            "`get_deploy_client(\"databricks\").predict(endpoint=\"delays\", inputs=body)` and once with "
            "`WorkspaceClient().serving_endpoints.query(name=\"delays\", dataframe_split=...)`. No Databricks "
            "config file is on the runner. What must its environment provide?"
        ),
        "options": [
            (
                "`DATABRICKS_HOST` (the workspace URL) and `DATABRICKS_TOKEN` (a token, ideally a service "
                "principal's): both clients read them."
            ),
            (
                "`MLFLOW_TRACKING_URI` set to the endpoint's invocations URL; the token goes inside `inputs`, beside "
                "the data."
            ),
            (
                "Nothing: endpoint names are unique across Databricks, so either client finds the workspace from "
                "the name."
            ),
            (
                "A Spark session attached to the workspace: both clients send their requests through the "
                "cluster's driver."
            ),
        ],
    },
    {
        "id": "R6a",
        "objective": "R6",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": "What is the main reason a model's REST service is shipped as a container image in production?",
        "options": [
            (
                "The image carries the model, its exact libraries and the server: what was tested runs anywhere, "
                "replicates, and rolls back to the previous tag."
            ),
            (
                "Containers run the model faster than the same server in a virtual environment, because the image"
                " is compiled."
            ),
            (
                "The image tag replaces the registry's version numbers, so the registry is no longer needed once "
                "images exist."
            ),
            "An image pins the model's input schema, so the service can skip validating requests.",
        ],
    },
    {
        "id": "R6b",
        "objective": "R6",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "On a build machine with no Docker daemon, which MLflow command writes a folder with a Dockerfile "
            "(and the model) from which an image can be built later?"
        ),
        "options": [
            "`mlflow models generate-dockerfile -m models:/flight_delay@champion -d out`",
            "`mlflow models build-docker -m models:/flight_delay@champion -n delays`",
            "`mlflow models serve -m models:/flight_delay@champion`",
            "`mlflow models prepare-env -m models:/flight_delay@champion`",
        ],
    },
    {
        "id": "R7a",
        "objective": "R7",
        "guides": ["pro25-serving", "assoc25-endpoints"],
        "kind": "choice",
        "stem": (
            "A served model must return a probability and a decision whose threshold the model's team owns, and "
            "let a caller override the threshold per request. How?"
        ),
        "options": [
            "Clients apply their own threshold to the served probability.",
            (
                "A `PythonModel` returning both; the default threshold in `model_config`, a `threshold` param in "
                "the signature for per-request overrides."
            ),
            "Two endpoints, one per threshold value, with each client choosing which one to call.",
            "A threshold hard-coded in the serving process's own code.",
        ],
    },
    {
        "id": "R7b",
        "objective": "R7",
        "guides": ["pro25-serving"],
        "kind": "choice",
        "stem": (
            "A custom `PythonModel` must load a 200 MB encoder artifact before it can answer. Where does that "
            "load belong, so that an endpoint does it once per replica rather than per request?"
        ),
        "options": [
            "In `predict`, guarded by `if not hasattr(self, \"encoder\")`.",
            "In `load_context(self, context)`, from `context.artifacts[...]`.",
            "In the module that calls `log_model`, before logging.",
            "In the client, which sends the encoder with each request.",
        ],
    },
    {
        "id": "R7c",
        "objective": "R7",
        "guides": ["pro25-serving", "assoc25-endpoints"],
        "kind": "scoring_body",
        "answer": "a JSON body (a string, or a Python dict)",
        "stem": (
            "A served custom model declares a `threshold` param (default 0.5) in its signature. Write the request"
            " body (`dataframe_split`) for one flight, `carrier` = `\"AA\"`, `distance` = `733`, asking for a "
            "threshold of 0.7 for this request only."
        ),
    },
    {
        "id": "R7d",
        "objective": "R7",
        "guides": ["pro25-serving"],
        "kind": "choice",
        "stem": (
            "You log a custom model **from code** (`python_model=\"model.py\"`, where the file ends with "
            "`mlflow.models.set_model(DelayModel())`), available since MLflow 2.12.2. What does that avoid?"
        ),
        "options": [
            "Pickling the model object: the model is stored as its source file and loaded by running it.",
            "Logging pip requirements: a source file carries no dependencies of its own.",
            "Registering the model: a model from code is served directly from the file's path.",
            "Logging artifacts: the file reads its data from the paths written in the code.",
        ],
    },
    {
        "id": "R8a",
        "objective": "R8",
        "guides": ["pro25-rollout", "assoc25-endpoints"],
        "kind": "routes",
        "answer": "a JSON object (a string, or a Python dict)",
        "stem": (
            "An endpoint serves two entities named `champion` and `challenger`. Write its `traffic_config` (JSON,"
            " Databricks' shape) sending 90% of requests to `champion` and 10% to `challenger`."
        ),
    },
    {
        "id": "R8b",
        "objective": "R8",
        "guides": ["pro25-rollout"],
        "kind": "choice",
        "stem": (
            "A canary at 20% shows a higher error rate for the challenger. What is the fastest safe rollback?"
        ),
        "options": [
            "Set the traffic config to 100% champion, still loaded.",
            "Delete the endpoint and create it again with the champion.",
            "Retrain the challenger while it keeps its 20% share.",
            "Restart the server with only the old version loaded.",
        ],
    },
    {
        "id": "R8c",
        "objective": "R8",
        "guides": ["pro25-rollout", "pro25-serving"],
        "kind": "choice",
        "stem": (
            "With MLflow 3.17's Deployments SDK for Databricks, which call changes the traffic split of the "
            "existing endpoint `delays`?"
        ),
        "options": [
            (
                "`client.update_endpoint_config(endpoint=\"delays\", config={\"served_entities\": [...], "
                "\"traffic_config\": {...}})`"
            ),
            "`client.create_endpoint(name=\"delays\", config={...})` with the new split.",
            "`client.predict(endpoint=\"delays\", inputs={\"traffic_config\": {...}})`",
            "`client.delete_endpoint(\"delays\")`, then create it with the new split.",
        ],
    },
    {
        "id": "R8d",
        "objective": "R8",
        "guides": ["pro25-rollout", "assoc25-endpoints"],
        "kind": "choice",
        "stem": (
            "A 90/10 split served 5,000 requests; the inference log shows 540 answered by `challenger`. For n "
            "requests routed independently with share p, the count has mean n·p and standard deviation "
            "√(n·p·(1−p)). What do you conclude?"
        ),
        "options": [
            "The split is broken: a 90/10 split of 5,000 requests gives exactly 500.",
            (
                "Consistent with 10%: the mean is 500 and the standard deviation about 21; 540 is within two of "
                "them."
            ),
            "The challenger is better: the router sends more traffic to the better version.",
            "Nothing: the check needs the labels of the 5,000 requests.",
        ],
    },
    {
        "id": "R8e",
        "objective": "R8",
        "guides": ["pro25-rollout", "pro25-serving"],
        "kind": "choice",
        "stem": (
            "The endpoint `delays` serves one entity, `champ` = `{\"name\": \"champion\", \"entity_name\": "
            "\"flight_delay\", \"entity_version\": \"7\"}`, at 100%. `chall` is the same with the name "
            "`challenger` and version `\"8\"`. Which `cfg` starts a 90/10 canary of version 8 with "
            "`client.update_endpoint_config(endpoint=\"delays\", config=cfg)`?"
        ),
        "options": [
            (
                "`{\"served_entities\": [chall], \"traffic_config\": {\"routes\": [{\"served_model_name\": "
                "\"champion\", \"traffic_percentage\": 90}, {\"served_model_name\": \"challenger\", "
                "\"traffic_percentage\": 10}]}}`"
            ),
            (
                "`{\"served_entities\": [champ, chall], \"traffic_config\": {\"routes\": "
                "[{\"served_model_name\": \"champion\", \"traffic_percentage\": 90}, "
                "{\"served_model_name\": \"challenger\", \"traffic_percentage\": 10}]}}`"
            ),
            (
                "`{\"served_entities\": [champ, chall], \"traffic_config\": {\"routes\": "
                "[{\"served_model_name\": \"champion\", \"traffic_percentage\": 0.9}, "
                "{\"served_model_name\": \"challenger\", \"traffic_percentage\": 0.1}]}}`"
            ),
            (
                "`{\"served_entities\": [champ, chall], \"traffic_config\": {\"routes\": "
                "[{\"served_model_name\": \"challenger\", \"traffic_percentage\": 10}]}}`"
            ),
        ],
    },
    {
        "id": "R9a",
        "objective": "R9",
        "guides": ["pro-deploy"],
        "kind": "number",
        "answer": "a number of requests",
        "stem": (
            "The SLA says p99 latency at most 50 ms, with p99 computed as `numpy.percentile(latencies, 99)` "
            "computes it by default: the value at position 0.99 × (n − 1) of the sorted latencies, interpolating "
            "linearly between the two nearest. Of 2,000 requests, at most how many may take longer than 50 ms "
            "with the SLA certain to hold, however slow they are?"
        ),
    },
    {
        "id": "R9b",
        "objective": "R9",
        "guides": ["pro-deploy", "pro25-serving"],
        "kind": "number",
        "answer": "requests per second",
        "stem": (
            "In a steady state, the number of requests in flight equals throughput × time per request (Little's "
            "law; Databricks sizes a serving endpoint's concurrency the same way: queries per second × model "
            "execution time). 8 clients each send their next request as soon as the previous answer arrives; each"
            " request takes 40 ms. What throughput does the service see, in requests per second?"
        ),
    },
    {
        "id": "R9c",
        "objective": "R9",
        "guides": ["pro-deploy"],
        "kind": "number",
        "answer": "a latency in ms",
        "stem": (
            "Eleven requests took, sorted, 4, 4, 5, 5, 5, 6, 6, 7, 9, 30 and 200 ms. What is the p90 latency as "
            "`numpy.percentile(latencies, 90)` computes it (position 0.9 × (n − 1) in the sorted list, counting "
            "from 0)?"
        ),
    },
    {
        "id": "R9d",
        "objective": "R9",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "On a 2-core server, going from 4 to 8 concurrent clients leaves throughput flat while p99 latency "
            "doubles. What does that show?"
        ),
        "options": [
            "The model became less accurate under load, so the server retries more.",
            "The server is saturated: requests queue, so more clients add waiting time, not throughput.",
            "Percentiles are unreliable above 4 clients, so the p99 should be ignored.",
            "The clients are too slow to send requests faster than before.",
        ],
    },
    {
        "id": "R9e",
        "objective": "R9",
        "guides": ["pro25-serving", "pro-deploy"],
        "kind": "choice",
        "stem": (
            "A Databricks served entity has `workload_size: \"Small\"` and scale to zero off. Each request takes "
            "about 200 ms of model time and traffic peaks at 60 requests per second. Estimating the concurrency "
            "needed as queries per second × model execution time, what happens at the peak?"
        ),
        "options": [
            (
                "Nothing: a Small entity keeps adding replicas as load grows, with no upper bound; only the bill "
                "grows."
            ),
            (
                "About 12 requests are in flight, within Small's range, which scales up to 16 concurrent "
                "requests."
            ),
            (
                "About 12 requests are in flight against Small's 4: the rest queue or get HTTP 429; size it Medium "
                "(8-16) or more."
            ),
            (
                "Requests beyond 4 are dropped without an answer; enabling scale to zero would add replicas faster."
            ),
        ],
    },
    {
        "id": "R9f",
        "objective": "R9",
        "guides": ["pro25-serving", "pro25-mlops"],
        "kind": "choice",
        "stem": (
            "Two Databricks endpoints: `fraud` must answer within 100 ms at p99 and is quiet for a few hours each "
            "night; `delays-dev` is queried a few times a week by developers. On which should "
            "`scale_to_zero_enabled` be true?"
        ),
        "options": [
            "On both: a cold start delays only the first request after an idle spell, which the p99 ignores.",
            "Only on `fraud`: scaling to zero at night frees capacity that its daytime peak can then use.",
            "On neither: once scaled to zero, an entity stays unloaded until the endpoint is updated again.",
            "Only on `delays-dev`: a request after an idle spell waits for a cold start, which breaks a p99 SLA.",
        ],
    },
    {
        "id": "D1a",
        "objective": "D1",
        "guides": ["assoc25-patterns"],
        "kind": "choice",
        "stem": (
            "5,000 trucks send a GPS ping every 10 s. Dispatchers want ETA predictions refreshed on a map within "
            "a minute; nobody asks for one ETA and waits. Which mode?"
        ),
        "options": ["Batch, nightly.", "A real-time REST endpoint.", "Streaming.", "Embedded in each truck."],
    },
    {
        "id": "D1b",
        "objective": "D1",
        "guides": ["assoc25-patterns"],
        "kind": "choice",
        "stem": "Which is an anti-pattern?",
        "options": [
            "A nightly batch job feeding a morning report.",
            "A 24/7 streaming query for a file that arrives once a day.",
            "A REST endpoint answering a fraud check for each payment at the checkout page.",
            "A streaming query raising alerts on sensor data.",
        ],
    },
    {
        "id": "D1c",
        "objective": "D1",
        "guides": ["assoc25-patterns"],
        "kind": "choice",
        "stem": (
            "A CRM shows a churn risk per customer; sales reps look at it a few times a day. The source tables "
            "are refreshed once an hour. Which deployment is simplest and cheapest?"
        ),
        "options": [
            "A real-time endpoint called each time a rep opens a customer page.",
            "An hourly batch job writing the risks to a table the CRM reads.",
            "A streaming query running all day over the source tables.",
            "Real-time Mode on a Kafka feed of the source tables.",
        ],
    },
    {
        "id": "D1d",
        "objective": "D1",
        "guides": ["assoc25-patterns"],
        "kind": "choice",
        "stem": "Which of these is naturally a **streaming** inference use case?",
        "options": [
            "Customer lifetime values computed monthly for finance.",
            "A price quote shown while a user waits on a form.",
            "Sensor readings every second, with an alert within a minute when predicted failure risk is high.",
            "Re-scoring a historical archive after a model change.",
        ],
    },
    {
        "id": "D2a",
        "objective": "D2",
        "guides": ["pro25-mlops"],
        "kind": "choice",
        "stem": "Which change scales a model service **horizontally**?",
        "options": [
            "A VM with twice the cores and memory.",
            "More replicas behind a load balancer.",
            "A smaller, faster model.",
            "A longer request timeout.",
        ],
    },
    {
        "id": "D2b",
        "objective": "D2",
        "guides": ["pro25-mlops"],
        "kind": "choice",
        "stem": (
            "A scoring service has run for a year with no outage, within its latency target, at its peak load. "
            "Its code lives in one engineer's notebook, is deployed by copying files by hand, and has no runbook."
            " That engineer leaves. Which production concern is weakest?"
        ),
        "options": ["Reliability (fault tolerance)", "Scalability (throughput)", "Latency", "Maintainability"],
    },
    {
        "id": "D2c",
        "objective": "D2",
        "guides": ["pro25-mlops"],
        "kind": "choice",
        "stem": (
            "One replica of a model service crashes now and then. Which design keeps answering requests while it "
            "restarts?"
        ),
        "options": [
            "Two or more replicas behind a load balancer with health checks.",
            "One bigger VM.",
            "A longer client timeout.",
            "Retraining the model more often.",
        ],
    },
    {
        "id": "D2d",
        "objective": "D2",
        "guides": ["pro25-mlops"],
        "kind": "choice",
        "stem": "A nightly job calls a serving endpoint with an access token. Where should the token be kept?",
        "options": [
            "In a secret store (e.g. a Databricks secret scope or the CI's secrets), injected at run time.",
            "In the job's code, committed to git, so that every run has it.",
            "In the model's `MLmodel` file.",
            "In the endpoint URL, as a query parameter.",
        ],
    },
    {
        "id": "D3a",
        "objective": "D3",
        "guides": ["pro25-mlops"],
        "kind": "choice",
        "stem": "What does CI/CD for ML (\"ModelOps\") add to a classic DevOps pipeline?",
        "options": [
            "Nothing: unit tests of the training code are enough.",
            "Data and model quality tests that gate an automated promotion.",
            "Building a container image for each model version.",
            "A manual sign-off that replaces the automated tests.",
        ],
    },
    {
        "id": "D3b",
        "objective": "D3",
        "guides": ["pro25-mlops"],
        "kind": "choice",
        "stem": (
            "Which check belongs in the CI job that decides whether a new model version may become `@champion`?"
        ),
        "options": [
            "The candidate beats the champion on the same held-out data by an agreed margin, and meets a floor.",
            "The training notebook runs end to end without errors in CI.",
            "The candidate's training loss is below the champion's training loss.",
            "A reviewer signs off on the candidate's confusion matrix in the UI.",
        ],
    },
    {
        "id": "D3c",
        "objective": "D3",
        "guides": ["pro25-mlops"],
        "kind": "choice",
        "stem": (
            "In MLflow 3.17, how does a CI script fail when the candidate's AUC is not at least 0.01 above the "
            "champion's?"
        ),
        "options": [
            (
                "`mlflow.models.evaluate(..., baseline_model=champion, validation_thresholds={...})`, which "
                "raises when the candidate loses."
            ),
            (
                "Evaluate both, then `mlflow.validate_evaluation_results({\"roc_auc\": "
                "MetricThreshold(min_absolute_change=0.01, greater_is_better=True)}, candidate, baseline)`, which"
                " raises."
            ),
            "`mlflow.log_metric(\"roc_auc\", auc)` in both runs; CI compares them in the MLflow UI.",
            (
                "`MlflowClient().transition_model_version_stage(..., archive_existing_versions=True)`, which "
                "refuses a worse version."
            ),
        ],
    },
    {
        "id": "D3d",
        "objective": "D3",
        "guides": ["pro25-mlops"],
        "kind": "choice",
        "stem": (
            "In the \"deploy code\" pattern (the one Databricks' MLOps Stacks templates follow), what moves from "
            "the development environment to staging and production?"
        ),
        "options": [
            "The trained model, copied from the dev registry to the prod registry after validation.",
            (
                "The code, through CI: production runs it to train on production data, register, check and "
                "promote its own model."
            ),
            "The notebooks' outputs, exported for review, then re-run by hand in production.",
            "Nothing: dev, staging and prod share one workspace, one registry and one model.",
        ],
    },
    {
        "id": "D4a",
        "objective": "D4",
        "guides": ["assoc25-patterns"],
        "kind": "choice",
        "stem": "A kiosk in a shop must predict with no network connection. Which of the three architectures?",
        "options": [
            "A batch table query.",
            "On-demand, embedded in the app.",
            "Continuous streaming.",
            "On-demand over REST.",
        ],
    },
    {
        "id": "D4b",
        "objective": "D4",
        "guides": ["assoc25-patterns"],
        "kind": "choice",
        "stem": (
            "A web app shows each store's predicted demand for tomorrow, computed at night; the page reads it by "
            "store id. Which architecture is that?"
        ),
        "options": [
            "A batch table query: predictions computed ahead, read from a table (or an online store) by key.",
            "On-demand over REST: the page calls the model per view.",
            "Continuous streaming.",
            "On-demand, embedded in the page.",
        ],
    },
    {
        "id": "D5a",
        "objective": "D5",
        "guides": ["pro25-mlops"],
        "kind": "choice",
        "stem": (
            "After an airline's schedule change, monitoring shows `dep_hour` shifted and the weekly log loss on "
            "labelled outcomes rose 15%. What next?"
        ),
        "options": [
            "Retrain on recent data, validate against the champion, promote.",
            "Keep serving until the scheduled yearly retraining.",
            "Roll back to the previous registered version, which scored better last year.",
            "Add serving replicas to absorb the change.",
        ],
    },
    {
        "id": "D5b",
        "objective": "D5",
        "guides": ["pro25-mlops"],
        "kind": "choice",
        "stem": "What is a **warm start** when retraining?",
        "options": [
            "Requests warm the new server's caches before traffic.",
            (
                "Training starts from the current model's parameters (e.g. boosting adds trees to the existing "
                "ones)."
            ),
            "Retraining runs at night, when machines are idle.",
            "Training runs on a GPU that is already warmed up.",
        ],
    },
    {
        "id": "D5c",
        "objective": "D5",
        "guides": ["pro25-mlops"],
        "kind": "choice",
        "stem": (
            "With Unity Catalog models, a team keeps one catalog per environment (`dev`, `staging`, `prod`). How "
            "does a validated version get into production?"
        ),
        "options": [
            "Retrain it by hand in the prod workspace with the same seed and data.",
            (
                "Copy the version into the prod catalog's model (`copy_model_version`), then point the prod alias"
                " at it."
            ),
            "Grant prod jobs read access to the dev catalog, so that they load `dev.ml.flight_delay@champion`.",
            "Transition the dev version to the `Production` stage.",
        ],
    },
    {
        "id": "D5d",
        "objective": "D5",
        "guides": ["pro25-mlops"],
        "kind": "choice",
        "stem": "A team sets a retraining rule. Which is the soundest?",
        "options": [
            "Retrain only when a monitored metric drops, never on a schedule, to save compute.",
            "Retrain every hour, and always promote the new model.",
            (
                "Retrain on a schedule and when drift or the live metric crosses a threshold set in advance; "
                "promote only through the gate."
            ),
            "Retrain on a fixed monthly schedule only: drift statistics are too noisy to act on.",
        ],
    },
    {
        "id": "D5e",
        "objective": "D5",
        "guides": ["pro25-mlops"],
        "kind": "choice",
        "stem": (
            "A custom model is served on Databricks Model Serving. The team wants its inputs and predictions "
            "kept in a table and checked for drift every day, with as little code of their own as possible. "
            "Which setup does that today?"
        ),
        "options": [
            (
                "An AI Gateway inference table on the endpoint (requests and responses in a Unity Catalog Delta "
                "table), and a data profiling monitor on that table, which writes profile and drift metric tables."
            ),
            (
                "`auto_capture_config` in the endpoint's config, which logs the payloads to a Delta table, and the "
                "endpoint's metrics page, which charts the drift of each feature next to latency and QPS."
            ),
            (
                "An MLflow run logged from the model's `predict` for every request, with the features as "
                "parameters, compared in the MLflow UI once a day."
            ),
            (
                "An AI Gateway inference table on the endpoint; Databricks retrains and redeploys the model by "
                "itself when the table's feature distributions drift past a threshold."
            ),
        ],
    },
    {
        "id": "D6a",
        "objective": "D6",
        "guides": ["pro25-rollout"],
        "kind": "choice",
        "stem": (
            "A new version gets 5% of live traffic; error rate and latency are watched; then 20%, then 100%. "
            "Which strategy?"
        ),
        "options": ["Blue/green", "Shadow", "Canary", "A/B test"],
    },
    {
        "id": "D6b",
        "objective": "D6",
        "guides": ["pro25-rollout"],
        "kind": "choice",
        "stem": (
            "The new model receives a copy of every request; its answers are logged but never returned. Which "
            "strategy?"
        ),
        "options": ["Canary", "Rolling update", "Blue/green", "Shadow"],
    },
    {
        "id": "D6c",
        "objective": "D6",
        "guides": ["pro25-rollout", "assoc25-endpoints"],
        "kind": "choice",
        "stem": "How do you run a blue/green switch on one Databricks serving endpoint?",
        "options": [
            (
                "Add the new version as a second entity at 0% traffic, test it, then switch the traffic config to"
                " 100% for it, keeping the old one loaded."
            ),
            "Delete the endpoint and recreate it with the new version as its only entity.",
            "Shift traffic 10% a day to the new version while watching error rates.",
            "Send each request to both entities and return the new one's answer, logging the old one's.",
        ],
    },
    {
        "id": "D6d",
        "objective": "D6",
        "guides": ["pro25-rollout"],
        "kind": "choice",
        "stem": "What does an A/B test of two model versions need that a canary does not?",
        "options": [
            "A fixed split held long enough, and an outcome metric chosen in advance, with a statistical test.",
            "A load balancer in front of both versions.",
            "A plan to roll back if errors rise.",
            "Both versions loaded on the same endpoint.",
        ],
    },
    {
        "id": "D7a",
        "objective": "D7",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "Flight events are published once to a Kafka topic. Three teams each need their own model's "
            "predictions on them (delay, crew, catering). Which design?"
        ),
        "options": [
            "One streaming job scores all three models and writes one table.",
            "The producer calls the three teams' REST endpoints for each event.",
            "Each team's streaming job reads the topic in its own consumer group.",
            "The producer writes each event to three topics, one per team.",
        ],
    },
    {
        "id": "D7b",
        "objective": "D7",
        "guides": ["pro-deploy"],
        "kind": "choice",
        "stem": (
            "A mobile app shows a prediction to the user at once; three analytics teams also need every "
            "prediction made. Which design?"
        ),
        "options": [
            (
                "The app calls an endpoint, which answers and also publishes each prediction to a topic the teams"
                " read."
            ),
            "Each team calls the endpoint again with the same inputs, for its own copy.",
            "The app writes each prediction into each team's database after showing it.",
            "A stream replaces the endpoint; the app polls the predictions table until its row appears.",
        ],
    },
    {
        "id": "D8a",
        "objective": "D8",
        "guides": ["pro25-mlops"],
        "kind": "choice",
        "stem": "Which pairs a job with a tool that does **not** do that job?",
        "options": [
            "Experiment tracking and model registry: MLflow.",
            "Orchestration of the nightly scoring job: Airflow, or Lakeflow Jobs on Databricks.",
            "Scheduling the nightly scoring job and retrying it when it fails: MLflow Projects.",
            "Rebuilding last month's training set exactly: Delta Lake time travel.",
        ],
    },
    {
        "id": "D8b",
        "objective": "D8",
        "guides": ["pro25-mlops"],
        "kind": "choice",
        "stem": (
            "Which tool answers \"which rows trained version 4?\" when the training table has changed since?"
        ),
        "options": [
            "The model registry's description field.",
            "Delta Lake time travel, with the table version logged by the training run.",
            "Docker image tags.",
            "Kafka's retention settings.",
        ],
    },
]
