"""Where a learner stands, objective by objective: ``make progress`` for one learner, ``make grade`` for a class.

nbgrader scores test cells; the exam asks about objectives. ``objectives.yml`` says which graded cells check
each syllabus ID, so a learner's cell scores become a score per ID: *mastered* at ``MASTERED`` of its points or
more, else *to revisit*, with the lesson sections that teach it. An ID whose lessons were not graded (not
handed in, or not written yet) is *not graded*, never counted as failed.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..paths import COURSE_ROOT
from .objectives import homes, load_map

#: The share of an objective's points that counts as mastered (a check-question set with one slip still passes).
MASTERED = 0.8
#: The learner's name in the gradebook when ``make progress`` grades their own notebooks.
LEARNER = "me"

#: Cell scores as nbgrader's gradebook holds them: grade_id -> (score, max_score), per lesson.
LessonScores = Mapping[str, Mapping[str, tuple[float | None, float]]]


@dataclass(frozen=True)
class ObjectiveResult:
    """One syllabus ID for one learner: points earned of the points its graded cells carry."""

    oid: str
    title: str
    score: float
    max_score: float
    #: Lesson sections that teach it ("04_streaming: 1. A file-source stream"), to revisit when not mastered.
    sections: tuple[str, ...]

    @property
    def graded(self) -> bool:
        return self.max_score > 0

    @property
    def share(self) -> float | None:
        return self.score / self.max_score if self.graded else None

    @property
    def mastered(self) -> bool:
        return self.graded and self.score >= MASTERED * self.max_score - 1e-9

    @property
    def status(self) -> str:
        return "mastered" if self.mastered else "revisit" if self.graded else "not graded"


def objective_results(scores: LessonScores, objectives: Mapping[str, dict] | None = None) -> list[ObjectiveResult]:
    """Each objective's points from the graded cells that check it, in the lessons that were graded."""
    objectives = load_map() if objectives is None else objectives
    results = []
    for oid, entry in objectives.items():
        earned = possible = 0.0
        sections: list[str] = []
        for home in homes(entry):
            sections += [f"{home.get('lesson')}: {section}" for section in home.get("sections") or []]
            cells = scores.get(home.get("lesson", ""))
            if entry.get("status") != "done" or cells is None:
                continue
            for item in home.get("graded") or []:
                if item in cells:
                    score, maximum = cells[item]
                    earned += score or 0.0
                    possible += maximum
        results.append(ObjectiveResult(oid, entry.get("title", ""), earned, possible, tuple(sections)))
    return results


def scores_by_student(cell_scores: Mapping[tuple[str, str], Mapping[str, tuple[float | None, float]]]
                      ) -> dict[str, dict[str, dict[str, tuple[float | None, float]]]]:
    """nbgrader's ``(student, assignment) -> cells`` (``GradingResult.cell_scores``) as ``student -> lesson -> cells``."""
    grouped: dict[str, dict[str, dict[str, tuple[float | None, float]]]] = {}
    for (student, assignment), cells in cell_scores.items():
        grouped.setdefault(student, {})[assignment] = dict(cells)
    return grouped


def lesson_totals(scores: LessonScores) -> dict[str, tuple[float, float]]:
    return {lesson: (sum(score or 0.0 for score, _ in cells.values()), sum(maximum for _, maximum in cells.values()))
            for lesson, cells in sorted(scores.items())}


def report(scores: LessonScores, results: list[ObjectiveResult]) -> str:
    """Score per lesson, then per objective, with the sections to revisit under each objective not mastered."""
    lines = [f"{'lesson':<28}{'score':>16}"]
    for lesson, (earned, possible) in lesson_totals(scores).items():
        lines.append(f"{lesson:<28}{earned:>8.1f} / {possible:<6.1f}")
    lines += ["", f"{'objective':<10}{'score':>7}  status"]
    for result in results:
        share = f"{result.share:.0%}" if result.share is not None else "-"
        lines.append(f"{result.oid:<10}{share:>7}  {result.status:<11} {result.title[:70]}")
        if result.graded and not result.mastered:
            lines += [f"{'':<19}revisit {section}" for section in result.sections]
    graded = [result for result in results if result.graded]
    mastered = sum(result.mastered for result in graded)
    lines += ["", f"{mastered} of {len(graded)} graded objectives mastered (at least {MASTERED:.0%} of their points); "
                  f"{len(results) - len(graded)} not graded yet."]
    return "\n".join(lines)


def plot(results: list[ObjectiveResult], path: Path, title: str = "Your score per objective") -> Path:
    """A bar per objective: green mastered, orange to revisit, grey not graded; the mastery line at 80%."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from matplotlib.patches import Patch

    colours = {"mastered": "#2e7d32", "revisit": "#ef6c00", "not graded": "#eeeeee"}
    figure, axis = plt.subplots(figsize=(7, max(3.0, 0.22 * len(results))))
    labels = [result.oid for result in results]
    widths = [100 * (result.share or 0) if result.graded else 100 for result in results]
    axis.barh(labels, widths, color=[colours[result.status] for result in results])
    for row, result in enumerate(results):  # the share in words, so a 0% bar is still visible
        if result.graded:
            axis.text(min(100 * result.share, 88) + 1, row, f"{result.share:.0%}", va="center", fontsize=7)
    axis.axvline(100 * MASTERED, color="black", linestyle="--", linewidth=1)
    axis.invert_yaxis()
    axis.set_xlim(0, 100)
    axis.set_xlabel("% of the objective's points")
    axis.legend(handles=[Patch(color=colour, label=status) for status, colour in colours.items()],
                loc="lower right", fontsize=7)
    mastered = sum(result.mastered for result in results)
    axis.set_title(f"{title}: {mastered} of {sum(result.graded for result in results)} graded mastered")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def write_objectives_csv(rows: Mapping[str, list[ObjectiveResult]], path: Path) -> Path:
    """One row per learner and objective: score, max, share, status."""
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student_id", "objective", "title", "score", "max_score", "share", "status"])
        for student, results in sorted(rows.items()):
            for result in results:
                writer.writerow([student, result.oid, result.title, f"{result.score:g}", f"{result.max_score:g}",
                                 "" if result.share is None else f"{result.share:.3f}", result.status])
    return path


def class_summary(rows: Mapping[str, list[ObjectiveResult]]) -> list[dict[str, object]]:
    """Per objective, over the learners graded on it: how many mastered it and their mean share."""
    summary = []
    for oid in [result.oid for result in next(iter(rows.values()), [])]:
        graded = [result for results in rows.values() for result in results if result.oid == oid and result.graded]
        title = next(result.title for results in rows.values() for result in results if result.oid == oid)
        summary.append({"objective": oid, "title": title, "graded": len(graded),
                        "mastered": sum(result.mastered for result in graded),
                        "mean_share": round(sum(result.share or 0 for result in graded) / len(graded), 3) if graded else ""})
    return summary


def write_class_summary(summary: list[dict[str, object]], path: Path) -> Path:
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["objective", "title", "graded", "mastered", "mean_share"])
        writer.writeheader()
        writer.writerows(summary)
    return path


def class_report(summary: list[dict[str, object]]) -> str:
    """The objectives fewer than half of the graded learners mastered: what to teach again."""
    weak = [row for row in summary if row["graded"] and int(row["mastered"]) * 2 < int(row["graded"])]
    if not weak:
        return "Every graded objective was mastered by at least half of the class."
    lines = ["Objectives fewer than half of the class mastered:"]
    lines += [f"  {row['objective']:<5} {row['mastered']}/{row['graded']} mastered, mean {float(row['mean_share']):.0%}  "
              f"{str(row['title'])[:70]}" for row in weak]
    return "\n".join(lines)


@dataclass(frozen=True)
class Progress:
    scores: dict[str, dict[str, tuple[float | None, float]]]
    results: list[ObjectiveResult]
    report: str
    plot: Path
    csv: Path
    problems: list[str]


def learner_progress(lessons: list[str] | None = None, course: Path = COURSE_ROOT, out: Path | None = None,
                     objectives: Mapping[str, dict] | None = None, **grade_options) -> Progress:
    """Grade the learner's own ``notebooks/`` (hidden tests included) and score every objective.

    Each lesson is executed by nbgrader, as an instructor's grading would (a few minutes per lesson);
    ``lessons`` limits it to some. The report, a plot and a CSV go to ``out`` (default ``progress/``).
    """
    from .grading import grade

    out = out or course / "progress"
    out.mkdir(parents=True, exist_ok=True)
    available = sorted(path.name for path in (course / "notebooks").iterdir() if list(path.glob("*.ipynb")))
    unknown = sorted(set(lessons or []) - set(available))
    if unknown:
        raise ValueError(f"No lesson named {', '.join(unknown)} in {course / 'notebooks'}; lessons: {', '.join(available)}")
    with tempfile.TemporaryDirectory(prefix="mldeploy-progress-") as scratch:
        for lesson in lessons or available:
            shutil.copytree(course / "notebooks" / lesson, Path(scratch) / LEARNER / lesson,
                            ignore=shutil.ignore_patterns("work", "mlruns", "mlflow.db", "*.db", ".ipynb_checkpoints"))
        # The learner's own code, run with the learner's own rights: no sandbox needed (nor possible on macOS).
        result = grade(Path(scratch), course=course, grades_csv=out / "grades.csv", check_release=False,
                       **{"sandbox": False, **grade_options})
    scores = scores_by_student(result.cell_scores).get(LEARNER, {})
    results = objective_results(scores, objectives)
    text = report(scores, results)
    (out / "progress.txt").write_text(text + "\n")
    return Progress(scores, results, text, plot(results, out / "progress.png"),
                    write_objectives_csv({LEARNER: results}, out / "objectives.csv"), result.problems)
