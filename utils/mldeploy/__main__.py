"""Command line: ``python -m mldeploy {doctor,jars,prepare,run,grade,progress,objectives,serve,kafka}``."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path


def jars() -> int:
    """Cache Spark's Delta and Kafka jars (Maven's cache if Ivy cannot download) and the Kafka broker's jars."""
    from .kafka import KAFKA_VERSION, fetch_broker_jars

    spark = _start_spark_with_fallback()
    print(f"Spark {spark.version} with Delta and Kafka is ready; jars cached for offline starts.")
    spark.stop()
    print(f"Kafka {KAFKA_VERSION} broker jars in {fetch_broker_jars()}.")
    return 0


def _start_spark_with_fallback():
    from .paths import ivy_dir
    from .spark import SparkSetupError, delta_coordinate, get_spark, kafka_coordinate

    try:
        return get_spark("mldeploy-setup")
    except SparkSetupError as error:
        if "could not download" not in str(error) or not shutil.which("mvn"):
            raise
        print(f"Ivy could not fetch the jars into {ivy_dir()}; trying Maven (~/.m2, which Spark also reads)...")
        for coordinate in (delta_coordinate(), kafka_coordinate()):
            subprocess.run(["mvn", "-q", "dependency:get", f"-Dartifact={coordinate}"], check=True)
        return get_spark("mldeploy-setup")


def prepare() -> int:
    """Everything a lesson needs before it starts: Spark's and the Kafka broker's jars cached, the data lake
    built, the JVM's class-data archive recorded (``jvm_archive``)."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    from .jvm_archive import archive_path, build_archive
    from .kafka import fetch_broker_jars
    from .lake import build_lake, table_path

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=1) as download:
        # The broker's jars come over the network (about 30 s on a fresh machine) while Spark builds the lake.
        broker_jars = download.submit(fetch_broker_jars)
        spark = _start_spark_with_fallback()
        status = build_lake(spark)
        spark.stop()
        broker_jars.result()
    for name, state in status.items():
        print(f"  {name:<9} {state:<8} {table_path(name)}")
    if not archive_path().is_file():
        print("Recording Spark's class-data archive, once (about a minute; later Spark starts are faster)...")
    archive_started = time.perf_counter()
    try:
        print(f"  JVM archive {build_archive()} ({time.perf_counter() - archive_started:.0f} s)")
    except (OSError, RuntimeError, subprocess.SubprocessError) as error:  # a speed-up, never a requirement
        print(f"  JVM archive not recorded ({error}); Spark works without it, about 20% slower to start.")
    print(f"Spark (Delta, Kafka) and Kafka broker jars, the JVM archive and the data lake are ready "
          f"({time.perf_counter() - started:.0f} s).")
    return 0


def run_lessons(hidden_tests: bool = False, jobs: int | None = None) -> int:
    from .course.runner import default_jobs, run_lessons

    runs = run_lessons(hidden_tests=hidden_tests, jobs=jobs or default_jobs())
    return 0 if all(run.status == "ok" for run in runs) else 1


def grade(folder: str, grades_csv: str | None, unsafe: bool = False) -> int:
    from .course.grading import SandboxUnavailableError, grade
    from .course.progress import (class_report, class_summary, objective_results, scores_by_student,
                                  write_class_summary, write_objectives_csv)

    if unsafe:
        print("--unsafe: every submission runs with your rights and can read the answer key and change the gradebook.")
    try:
        result = grade(Path(folder), grades_csv=Path(grades_csv) if grades_csv else None, feedback=True,
                       sandbox=not unsafe)
    except SandboxUnavailableError as error:
        print(f"Not grading: {error} (with make: make grade DIR=... UNSAFE=1).", file=sys.stderr)
        return 2
    for row in result.rows:
        print(f"  {row['student_id']:<20} {row['assignment']:<28} {float(row['score']):6.1f} / {float(row['max_score']):.1f}")
    print(f"Grades written to {result.grades_csv}")
    per_student = {student: objective_results(scores) for student, scores in scores_by_student(result.cell_scores).items()}
    if per_student:
        summary = class_summary(per_student)
        folder_out = result.grades_csv.parent
        write_objectives_csv(per_student, folder_out / "objectives.csv")
        write_class_summary(summary, folder_out / "objectives_summary.csv")
        print(class_report(summary))
        print(f"Per objective: {folder_out / 'objectives.csv'} (each student), {folder_out / 'objectives_summary.csv'} "
              f"(the class); feedback for each student in {result.autograded.parent / 'feedback'}")
    for problem in result.problems:
        print(f"  ! {problem}")
    return 1 if result.errors or result.problems else 0


def progress(lessons: list[str]) -> int:
    from .course.progress import learner_progress

    print("Grading your notebooks in notebooks/ (hidden tests included); each lesson runs as in grading, "
          "a few minutes each...", flush=True)
    result = learner_progress(lessons or None)
    print(result.report)
    print(f"Plot: {result.plot}   CSV: {result.csv}")
    for problem in result.problems:
        print(f"  ! {problem}")
    return 0


def objectives(update_readme: bool) -> int:
    from .course.objectives import README, coverage_markdown, load_map, syllabus_file, syllabus_ids, with_coverage

    syllabus = syllabus_file()  # the titles objectives.yml keeps serve a clone without ../shared
    table = coverage_markdown(load_map(), syllabus_ids(syllabus.read_text()) if syllabus.exists() else {})
    if update_readme:
        README.write_text(with_coverage(README.read_text(), table))
        print(f"Coverage table updated in {README}")
    else:
        print(table)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mldeploy", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("doctor", help="check Java, Spark, Delta, MLflow, ports and disk")
    commands.add_parser("jars", help="download and cache Spark's Delta and Kafka jars and the Kafka broker's")
    commands.add_parser("prepare", help="cache the jars, build the data lake, record the JVM archive (idempotent)")
    run = commands.add_parser("run", help="run every solution notebook headless and print a table")
    run.add_argument("--hidden-tests", action="store_true",
                     help="keep the hidden tests in (they run when grading; a learner's run has none)")
    run.add_argument("--jobs", type=int, default=None,
                     help="lessons at a time (default: 2 on two cores or more; 1 times each lesson as a learner runs it)")
    grading = commands.add_parser("grade", help="autograde DIR/STUDENT/ASSIGNMENT/*.ipynb into a grades CSV")
    grading.add_argument("folder")
    grading.add_argument("--csv", dest="grades_csv", help="where to write the grades (default: grades.csv)")
    grading.add_argument("--unsafe", action="store_true",
                         help="grade without the sandbox (where none can be made): submissions run with your rights")
    mine = commands.add_parser("progress", help="grade your own notebooks/ and print your score per lesson and objective")
    mine.add_argument("lessons", nargs="*", help="only these lessons (default: every lesson)")
    coverage = commands.add_parser("objectives", help="print the objectives coverage table (for the README)")
    coverage.add_argument("--update-readme", action="store_true", help="write the table into README.md")
    from .serving.cli import add_arguments as serve_arguments

    serve_arguments(commands.add_parser("serve", help="serve MLflow models over REST from a config file (JSON/YAML)"))
    kafka = commands.add_parser("kafka", help="start, check or stop a local Kafka broker (status prints its address)")
    kafka.add_argument("action", choices=["start", "status", "stop"])
    kafka.add_argument("--port", type=int, default=None, help="exactly this port (default: 9092 or the nearest free)")
    kafka.add_argument("--dir", default=None, help="the broker's data folder (default: ~/.cache/mldeploy/kafka-broker)")
    args = parser.parse_args(argv)
    if args.command == "doctor":
        from .doctor import main as doctor

        return doctor()
    if args.command == "kafka":
        from .kafka import cli

        return cli(args.action, folder=Path(args.dir) if args.dir else None, port=args.port)
    if args.command == "serve":
        from .serving.cli import serve

        return serve(args.config, args.host, args.port)
    from .paths import CourseNotFoundError

    try:
        if args.command == "grade":
            return grade(args.folder, args.grades_csv, args.unsafe)
        if args.command == "progress":
            return progress(args.lessons)
        if args.command == "objectives":
            return objectives(args.update_readme)
        if args.command == "run":
            return run_lessons(args.hidden_tests, args.jobs)
        return {"jars": jars, "prepare": prepare}[args.command]()
    except CourseNotFoundError as error:  # run, grade, objectives need the course folder: say how to name it
        print(f"python -m mldeploy {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
