"""Lesson 10's practice exam: a question bank, a seeded guide-weighted draw, and the parsers that read answers.

In the lesson::

    from mldeploy import exam
    paper = exam.draw(SEED)        # the same seed, the same paper, on any machine
    clock = exam.Clock(SEED, len(paper))   # 120 minutes from the first run, kept across re-runs
    paper.show("M4")               # an objective's questions, options shuffled
    paper.template("M")            # the answer dict of group M, to fill in
    exam.check_format(SEED, "M", answers_M)   # also stamps the clock: group M in at minute ...
    print(clock.report())

``bank.py`` holds the questions (no keys), ``paper.py`` the draw and the marking the hidden test cells call,
``clock.py`` the practice run's timer, ``parsers.py`` the readers of written answers (model URIs, triggers,
commands, JSON bodies, numbers, times).
Only lesson 10 uses this package.
"""

from . import parsers
from .clock import MINUTES, Clock
from .paper import BANK, Drawn, Paper, check_format, draw

BLUEPRINT = BANK.BLUEPRINT
GUIDES = BANK.GUIDES
QUESTIONS = BANK.QUESTIONS
TITLES = BANK.TITLES

__all__ = ["BLUEPRINT", "GUIDES", "MINUTES", "QUESTIONS", "TITLES", "Clock", "Drawn", "Paper", "check_format", "draw",
           "parsers"]
