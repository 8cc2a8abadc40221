"""What the JVM's class-data archive saves: a lesson's Spark start and first queries, with and without it.

Each trial is a fresh Python process doing what every lesson's first cells do: ``get_spark()``, the first
Delta query (a count of the lake's features table), a sample to pandas and a small Delta write. The two
ways alternate trial by trial (so a machine that gets busier halfway hurts both alike): with the archive
``make setup`` records (``mldeploy.jvm_archive``), and without it (``MLDEPLOY_JVM_ARCHIVE=off``). Prints
the median seconds of each step and the ratio with / without; goal <= 0.8x for start plus first query.

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


def trial(with_archive: bool) -> dict[str, float]:
    env = dict(os.environ)
    env.pop(DISABLE_VARIABLE, None)
    if not with_archive:
        env[DISABLE_VARIABLE] = "off"
    done = subprocess.run([sys.executable, "-c", TRIAL], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3)
    args = parser.parse_args()
    print(f"archive: {build_archive()} ({archive_path().stat().st_size / 1e6:.0f} MB)")
    runs: dict[bool, list[dict[str, float]]] = {True: [], False: []}
    for number in range(args.trials):
        for with_archive in (False, True):
            runs[with_archive].append(trial(with_archive))
            print(f"trial {number + 1}, {'with' if with_archive else 'without'} archive: "
                  + ", ".join(f"{k} {v:.1f} s" for k, v in runs[with_archive][-1].items()), flush=True)
    steps = list(runs[True][0])
    median = {way: {s: statistics.median(r[s] for r in runs[way]) for s in steps} for way in runs}
    print(f"\n{'step':<12} {'without':>8} {'with':>8} {'ratio':>6}")
    for step in steps:
        print(f"{step:<12} {median[False][step]:8.1f} {median[True][step]:8.1f} "
              f"{median[True][step] / median[False][step]:6.2f}")
    head = ("start", "first query")
    ratio = sum(median[True][s] for s in head) / sum(median[False][s] for s in head)
    total = sum(median[True].values()) / sum(median[False].values())
    print(f"start + first query: {ratio:.2f}x (goal <= {GOAL}x); all steps: {total:.2f}x")
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
