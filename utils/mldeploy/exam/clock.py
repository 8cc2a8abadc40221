"""The practice exam's clock: 120 minutes for a 60-question paper, as in the Professional exam.

The real exam gives 120 minutes for 60 questions (2 minutes a question; the Associate gives 90 minutes for its
45-48). A practice run is only practice for that if it is timed, so the clock starts the first time a paper is
drawn with it and is kept in a small file beside the notebook (``exam_clock.json``): re-running the notebook, or
restarting the kernel, does not reset it. Each group's answers are stamped when their format check first passes,
and ``report()`` says when each group came in, whether the paper was finished in time, and the pace.

Time is reported, never marked: grading runs the notebook again later, so the clock could not be fair there.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

#: Minutes for a paper: the Professional exam's 120 minutes for 60 questions.
MINUTES = 120
CLOCK_FILE = "exam_clock.json"


class Clock:
    """Start, group stamps and limit of one paper's practice run, saved in ``folder/exam_clock.json``."""

    def __init__(self, seed: int, questions: int, minutes: int = MINUTES, folder: str | Path = ".",
                 now: Callable[[], float] = time.time) -> None:
        self.seed, self.questions, self.minutes = seed, questions, minutes
        self.path = Path(folder) / CLOCK_FILE
        self._now = now
        saved = self._load().get(str(seed))
        if saved is None or saved.get("minutes") != minutes:
            saved = {"started": now(), "minutes": minutes, "groups": {}}
            self._save(saved)
        self.started: float = saved["started"]
        self.groups: dict[str, float] = saved["groups"]

    def _load(self) -> dict:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}

    def _save(self, entry: dict) -> None:
        runs = self._load()
        runs[str(self.seed)] = entry
        try:
            self.path.write_text(json.dumps(runs, indent=1))
        except OSError:  # a read-only folder: the clock still runs for this session, it is just not kept
            pass

    def minutes_used(self) -> float:
        return (self._now() - self.started) / 60

    def status(self) -> str:
        used = self.minutes_used()
        if used > self.minutes:
            return f"Paper {self.seed}: {used:.0f} minutes used, {used - self.minutes:.0f} over the {self.minutes} allowed."
        return f"Paper {self.seed}: {used:.0f} of {self.minutes} minutes used, {self.minutes - used:.0f} left."

    def stamp(self, group: str) -> float:
        """The minute at which ``group``'s answers were first all in (later runs keep the first stamp)."""
        if group not in self.groups:
            self.groups[group] = self._now()
            self._save({"started": self.started, "minutes": self.minutes, "groups": self.groups})
        return (self.groups[group] - self.started) / 60

    def restart(self) -> None:
        """Start this paper's clock again from now (a second attempt at the same seed)."""
        self.started, self.groups = self._now(), {}
        self._save({"started": self.started, "minutes": self.minutes, "groups": self.groups})

    def report(self, groups: str = "MBSRD") -> str:
        """When each group came in, whether the paper was finished within the limit, and the pace."""
        lines = [f"Paper {self.seed}: {self.questions} questions, {self.minutes} minutes allowed "
                 f"({self.minutes / self.questions:.1f} min a question)."]
        for group in groups:
            if group in self.groups:
                minute = (self.groups[group] - self.started) / 60
                late = "  (after time was up)" if minute > self.minutes else ""
                lines.append(f"  group {group} in at minute {minute:.0f}{late}")
            else:
                lines.append(f"  group {group}: not all answered yet")
        if all(group in self.groups for group in groups):
            finished = (max(self.groups[g] for g in groups) - self.started) / 60
            verdict = "within" if finished <= self.minutes else "over"
            lines.append(f"Finished at minute {finished:.0f}: {verdict} the {self.minutes} minutes, "
                         f"{finished / self.questions:.1f} min a question.")
        else:
            lines.append(self.status())
        return "\n".join(lines)


def running(seed: int, questions: int, folder: str | Path = ".") -> Clock | None:
    """The clock of paper ``seed`` if one was started in ``folder`` (so a format check never starts one)."""
    try:
        runs = json.loads((Path(folder) / CLOCK_FILE).read_text())
    except (OSError, ValueError):
        return None
    if str(seed) not in runs:
        return None
    return Clock(seed, questions, runs[str(seed)].get("minutes", MINUTES), folder)
