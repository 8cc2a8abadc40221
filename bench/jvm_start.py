"""What the JVM's class-data archive and the resolved jar list save: a lesson's Spark start and first queries.

Each trial is a fresh Python process doing what every lesson's first cells do: ``get_spark()``, the first
Delta query (a count of the lake's features table), a sample to pandas and a small Delta write. Three ways
alternate trial by trial (so a machine that gets busier halfway hurts each alike): as Spark starts without
the course's help (``MLDEPLOY_JVM_ARCHIVE=off``, ``MLDEPLOY_RESOLVED_JARS=off``: Ivy resolves the Delta and
Kafka packages, every class is loaded from the jars); with the class-data archive ``make setup`` records
(``mldeploy.jvm_archive``); with the archive and the jar files Ivy resolved at an earlier start
(``mldeploy.spark.jar_conf``), as every session starts now. Prints the median seconds of each step and each
way's ratio to the first; goal <= 0.8x for start plus first query.

    python bench/jvm_start.py [--trials 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

from mldeploy.jvm_archive import DISABLE_VARIABLE, archive_path, build_archive
from mldeploy.spark import RESOLVED_JARS_VARIABLE, resolved_jars_file

#: Each way: the variables set to ``off`` in its trials.
WAYS = {"plain": (DISABLE_VARIABLE, RESOLVED_JARS_VARIABLE), "archive": (RESOLVED_JARS_VARIABLE,),
        "archive + jars": ()}

GOAL = 0.8

TRIAL = """
import json, shutil, tempfile, time
started = time.perf_counter()
from pyspark.sql import functions as F
from mldeploy import LABEL, get_spark, read_table
marks = {}
spark = get_spark("bench-jvm-start"); marks["start"] = time.perf_counter()
features = read_table(spark, "features"); features.count(); marks["first query"] = time.perf_counter()
features.filter(F.col(LABEL).isNotNull()).sample(fraction=0.03, seed=4).toPandas(); marks["sample"] = time.perf_counter()
folder = tempfile.mkdtemp()
features.limit(5000).write.format("delta").save(folder + "/t"); marks["delta write"] = time.perf_counter()
shutil.rmtree(folder)
steps, previous = {}, started
for name, at in marks.items():
    steps[name], previous = at - previous, at
print(json.dumps(steps))
"""


def trial(way: str) -> dict[str, float]:
    env = {key: value for key, value in os.environ.items() if key not in (DISABLE_VARIABLE, RESOLVED_JARS_VARIABLE)}
    env |= {variable: "off" for variable in WAYS[way]}
    done = subprocess.run([sys.executable, "-c", TRIAL], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3)
    args = parser.parse_args()
    print(f"archive: {build_archive()} ({archive_path().stat().st_size / 1e6:.0f} MB)")
    trial("archive + jars")  # a start that resolves the packages lists their jars, if no start has yet
    print(f"resolved jars: {resolved_jars_file()}")
    runs: dict[str, list[dict[str, float]]] = {way: [] for way in WAYS}
    for number in range(args.trials):
        for way in WAYS:
            runs[way].append(trial(way))
            print(f"trial {number + 1}, {way}: " + ", ".join(f"{k} {v:.1f} s" for k, v in runs[way][-1].items()),
                  flush=True)
    steps = list(runs["plain"][0])
    median = {way: {s: statistics.median(r[s] for r in runs[way]) for s in steps} for way in runs}
    print(f"\n{'step':<12}" + "".join(f"{way:>17}" for way in WAYS))
    for step in steps:
        print(f"{step:<12}" + "".join(f"{median[way][step]:9.1f} s" + (
            f" {median[way][step] / median['plain'][step]:.2f}x" if way != "plain" else " " * 6) for way in WAYS))
    head = ("start", "first query")
    ratios = {way: sum(median[way][s] for s in head) / sum(median["plain"][s] for s in head) for way in WAYS}
    print(f"start + first query: archive {ratios['archive']:.2f}x, archive + jars {ratios['archive + jars']:.2f}x "
          f"(goal <= {GOAL}x); all steps: {sum(median['archive + jars'].values()) / sum(median['plain'].values()):.2f}x")
    return 0 if ratios["archive + jars"] <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
