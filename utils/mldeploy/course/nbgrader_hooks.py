"""nbgrader preprocessors the course adds to autograding and feedback (named in ``nbgrader_config.py``).

nbgrader scores a test cell zero when the cell wrote anything to stderr, even if every assert passed.
Test cells call the learner's code, and pandas, NumPy, scikit-learn or MLflow may print a harmless
warning there: that must not cost points. ``WarningsAreNotFailures`` turns such stderr output of a
test cell that raised nothing into ordinary output (still shown in the feedback), so only a raised
error fails the cell.

Feedback shows each test cell as autograded, hidden tests included, and a failed assert's traceback quotes
the hidden line. ``HiddenTestsStayHidden`` keeps the friendly message (the assert's text, which says what
to fix) and drops the hidden code, so feedback can go back to learners before the next cohort.
This module is imported by nbgrader only while it autogrades or writes feedback.
"""

from __future__ import annotations

import re

from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution

HIDDEN_REGION = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[ \t]*$", re.MULTILINE | re.DOTALL)
HIDDEN_NOTE = "# (hidden tests: they check the real state your answer left; the message below says what failed)"

WARNING_NOTE = "[printed on stderr; a warning does not cost points]\n"


class WarningsAreNotFailures(NbGraderPreprocessor):
    """In autograded test cells that raised no error, show stderr text as stdout."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and is_grade(cell) and not is_solution(cell):
            if not any(output.output_type == "error" for output in cell.outputs):
                for output in cell.outputs:
                    if output.output_type == "stream" and output.name == "stderr":
                        output.name = "stdout"
                        output.text = WARNING_NOTE + output.text
        return cell, resources


class HiddenTestsStayHidden(NbGraderPreprocessor):
    """In feedback, hidden test code is replaced by a note, and a failing cell shows only its error message."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and is_grade(cell) and HIDDEN_REGION.search(cell.source):
            cell.source = HIDDEN_REGION.sub(HIDDEN_NOTE, cell.source)
            for output in cell.outputs:
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources
