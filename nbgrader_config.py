"""nbgrader settings for the course: solutions/ is the source, notebooks/ the student release."""

import os

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)
here = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.root = here
c.CourseDirectory.course_id = "mldeploy"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
# What a lesson leaves beside its notebook when it runs is not part of the assignment.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback",
    "work", "mlruns", "mlflow.db", "spark-warehouse", "metastore_db", "derby.log",
]
# The default exchange is a system folder (/srv/nbgrader/exchange); keep it inside the course, and make it
# here, so that every way of starting Jupyter in the course folder (not only `make lab`) finds it and the
# formgrader does not warn that it "does not exist and could not be created".
c.Exchange.root = os.path.join(here, "exchange")
os.makedirs(c.Exchange.root, exist_ok=True)
# Spark cells (a cold JVM, a first Delta read, a Spark job per request) take far longer than nbgrader's
# 30 s default; no lesson cell needs 5 minutes, so an endless loop is cut after that and grading goes on.
c.Execute.timeout = 300
# A test cell a learner deleted is put back from the source, and still fails a wrong answer
# (edited test cells are restored by nbgrader in any case).
c.OverwriteCells.add_missing_cells = True
# nbgrader fails a test cell that wrote to stderr, even when nothing raised: a learner's harmless
# warning would cost points. The course's preprocessor (right after execution) shows such output as
# ordinary output instead; a raised error still fails the cell.
c.Autograde.autograde_preprocessors = [
    # nbgrader's Execute, with the helpers the hidden tests use put back before each test cell and a check
    # that the kernel still reports failures after it (mldeploy/course/kernel_guard.py).
    "mldeploy.course.kernel_guard.GuardedExecute",
    "mldeploy.course.nbgrader_hooks.WarningsAreNotFailures",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# Feedback (`make grade` writes it) shows what failed in the learner's words, never the hidden tests' code.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "mldeploy.course.nbgrader_hooks.HiddenTestsStayHidden",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
