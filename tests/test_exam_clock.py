"""The practice exam's clock: kept across re-runs, stamps each group once, reports time and pace honestly."""

from __future__ import annotations

import json

import pytest

from mldeploy import exam
from mldeploy.exam.clock import CLOCK_FILE, Clock, running


class FakeTime:
    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += 60 * minutes


def test_a_rerun_keeps_the_start_and_the_first_stamp(tmp_path):
    clock_time = FakeTime()
    clock = Clock(7, 60, folder=tmp_path, now=clock_time)
    clock_time.advance(30)
    assert clock.stamp("M") == pytest.approx(30)
    again = Clock(7, 60, folder=tmp_path, now=clock_time)  # the notebook run again, or a new kernel
    assert again.started == clock.started
    clock_time.advance(10)
    assert again.stamp("M") == pytest.approx(30)  # the first time group M was complete counts
    assert "40 of 120 minutes used, 80 left" in again.status()


def test_the_report_says_in_time_or_over(tmp_path):
    clock_time = FakeTime()
    clock = Clock(7, 60, folder=tmp_path, now=clock_time)
    for group in "MBSR":
        clock_time.advance(25)
        clock.stamp(group)
    assert "group D: not all answered yet" in clock.report()
    clock_time.advance(25)  # minute 125: the last group after the limit
    clock.stamp("D")
    report = clock.report()
    assert "group D in at minute 125  (after time was up)" in report
    assert "Finished at minute 125: over the 120 minutes, 2.1 min a question." in report


def test_another_seed_has_its_own_clock_and_restart_resets(tmp_path):
    clock_time = FakeTime()
    first = Clock(1, 60, folder=tmp_path, now=clock_time)
    clock_time.advance(50)
    second = Clock(2, 60, folder=tmp_path, now=clock_time)
    assert second.started - first.started == pytest.approx(3000)
    assert set(json.loads((tmp_path / CLOCK_FILE).read_text())) == {"1", "2"}
    first.restart()
    assert first.minutes_used() == 0 and Clock(1, 60, folder=tmp_path, now=clock_time).started == clock_time.now


def simple_answers(paper, group: str) -> dict:
    """Well-formed (not right) answers for a group with only letters, numbers and times to give."""
    given = {"choice": "a", "number": 1, "time": "10:27"}
    return {item.id: given[item.kind] for item in paper.questions(group)}


def test_a_format_check_stamps_a_started_clock_and_never_starts_one(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    seed, group = 0, "D"  # paper 0's group D asks only letters and numbers
    paper = exam.draw(seed)
    exam.check_format(seed, group, simple_answers(paper, group))
    assert not (tmp_path / CLOCK_FILE).exists() and running(seed, len(paper)) is None
    exam.Clock(seed, len(paper))
    exam.check_format(seed, group, simple_answers(paper, group))
    assert "In at minute 0 of 120." in capsys.readouterr().out
    assert group in running(seed, len(paper)).groups
