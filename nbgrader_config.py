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
# The default exchange is a system folder (/srv/nbgrader/exchange); keep it inside the course.
c.Exchange.root = os.path.join(here, "exchange")
# Spark cells (a cold JVM, a first Delta read, a Spark job per request) take far longer than 30 s.
c.Execute.timeout = 900
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
