"""Lesson 10's practice exam: a question bank, a seeded guide-weighted draw, and the parsers that read answers.

In the lesson::

    from mldeploy import exam
    paper = exam.draw(SEED)        # the same seed, the same paper, on any machine
    paper.show("M4")               # an objective's questions, options shuffled
    paper.template("M")            # the answer dict of group M, to fill in
    exam.check_format(SEED, "M", answers_M)

``bank.py`` holds the questions (no keys), ``paper.py`` the draw and the marking the hidden test cells call,
``parsers.py`` the readers of written answers (model URIs, triggers, commands, JSON bodies, numbers, times).
Only lesson 10 uses this package.
"""

from . import parsers
from .paper import BANK, Drawn, Paper, check_format, draw

BLUEPRINT = BANK.BLUEPRINT
GUIDES = BANK.GUIDES
QUESTIONS = BANK.QUESTIONS
TITLES = BANK.TITLES

__all__ = ["BLUEPRINT", "GUIDES", "QUESTIONS", "TITLES", "Drawn", "Paper", "check_format", "draw", "parsers"]
