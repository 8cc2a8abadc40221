"""nbgrader preprocessors the course adds to autograding (named in ``nbgrader_config.py``).

nbgrader scores a test cell zero when the cell wrote anything to stderr, even if every assert passed.
Test cells call the learner's code, and pandas, NumPy, scikit-learn or MLflow may print a harmless
warning there: that must not cost points. ``WarningsAreNotFailures`` turns such stderr output of a
test cell that raised nothing into ordinary output (still shown in the feedback), so only a raised
error fails the cell. This module is imported by nbgrader only while it autogrades.
"""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution

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
