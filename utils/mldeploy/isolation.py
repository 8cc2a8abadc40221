"""Load and run a logged MLflow model where the course is not: a fresh process with only the model's requirements.

A model that predicts in the notebook can still fail where it is deployed. Its code may import a
module that happens to be importable here (the course's own ``mldeploy``, a package installed for
something else) but that its logged ``requirements.txt`` does not list, so the environment a model
server builds from that file lacks it. ``predict_in_clean_process`` finds such a model before a
deployment does::

    from mldeploy import predict_in_clean_process

    predict_in_clean_process(model_info.model_uri, rows)   # a DataFrame, or ModelIsolationError naming the module

How:

- the model is downloaded to an empty temporary folder and its ``requirements.txt`` read;
- the modules a clean environment built from that file could import are worked out here: the
  standard library, plus every top-level module of the listed distributions and of their
  dependencies, followed through ``Requires-Dist`` with extras and markers (and ``pip``/``setuptools``,
  which every new virtual environment has);
- this environment's Python starts in another empty folder with ``-I`` (no ``PYTHONPATH``, no user
  site-packages, the current folder not on ``sys.path``) and, before it imports anything else, puts an
  import gate in front of ``sys.meta_path``. The gate finds a top-level module only when it is in that
  set or lives inside the model's folder (code shipped with ``code_paths``, or the file of a model
  logged "from code"); ``mldeploy`` is always refused. A refused import fails as it would in the clean
  environment: ``ModuleNotFoundError: No module named ...``;
- the process loads the model with ``mlflow.pyfunc.load_model``, predicts ``rows`` and hands the result
  back. Any failure becomes a ``ModelIsolationError`` whose message names the refused module, if one
  caused it, and says how to ship it.

What it does not do: install anything. The allowed packages are this environment's, at this
environment's versions, so a version mismatch is not caught here (MLflow warns about those when it
loads a model). The process inherits the environment variables (``MLFLOW_*`` included) and the network.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

#: Top-level modules a logged model may never import: the course's helpers do not ship with models.
ALWAYS_REFUSED = frozenset({"mldeploy"})

#: Distributions every new virtual environment has before anything is installed (``python -m venv``).
BASELINE_DISTRIBUTIONS = ("pip", "setuptools")

#: Seconds the clean process may take to start, load the model and predict.
DEFAULT_TIMEOUT = 300


class ModelIsolationError(RuntimeError):
    """A logged model failed to load or predict in a clean process.

    ``module`` is the top-level module it could not import there (``None`` when something else failed);
    ``output`` is what the process printed.
    """

    def __init__(self, message: str, module: str | None = None, output: str = "") -> None:
        super().__init__(message)
        self.module = module
        self.output = output


def read_requirements(requirements_file: str | os.PathLike) -> list[Requirement]:
    """The requirements of a ``requirements.txt`` that apply to this Python (options, URLs and comments skipped)."""
    found = []
    for line in Path(requirements_file).read_text().splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue  # a URL or a local path: nothing to follow
        if requirement.marker is None or requirement.marker.evaluate():
            found.append(requirement)
    return found


def _installed_distributions() -> dict[str, importlib.metadata.Distribution]:
    """Installed distributions by canonical name (the first on ``sys.path`` wins, as for imports)."""
    installed: dict[str, importlib.metadata.Distribution] = {}
    for distribution in importlib.metadata.distributions():
        name = distribution.metadata["Name"]
        if name:
            installed.setdefault(canonicalize_name(name), distribution)
    return installed


def dependency_closure(requirements: Iterable[str | Requirement]) -> set[str]:
    """Canonical names of the installed distributions that ``requirements`` pull in, themselves included.

    Each distribution's ``Requires-Dist`` is followed with the extras asked for and the markers of this
    Python. Requirements that are not installed here are left out: nothing of theirs can be imported.
    """
    installed = _installed_distributions()
    wanted = [req if isinstance(req, Requirement) else Requirement(req) for req in requirements]
    queue = [(canonicalize_name(req.name), frozenset(req.extras)) for req in wanted]
    seen: dict[str, set[str]] = {}
    while queue:
        name, extras = queue.pop()
        if name not in installed or (name in seen and extras <= seen[name]):
            continue
        seen.setdefault(name, set()).update(extras)
        for line in installed[name].requires or []:
            requirement = Requirement(line)
            if requirement.marker is not None and not any(
                requirement.marker.evaluate({"extra": extra}) for extra in (seen[name] or {""})
            ):
                continue
            queue.append((canonicalize_name(requirement.name), frozenset(requirement.extras)))
    return set(seen)


def allowed_top_level_modules(requirements: Iterable[str | Requirement]) -> set[str]:
    """Top-level modules (outside the standard library) of the distributions ``requirements`` pull in."""
    closure = dependency_closure([*requirements, *BASELINE_DISTRIBUTIONS])
    return {
        module
        for module, distributions in importlib.metadata.packages_distributions().items()
        if any(canonicalize_name(name) in closure for name in distributions)
    }


# The clean process. It gets a JSON file: the model folder, the allowed and refused modules, and where
# to read the rows, write the result and write a report. It imports only the standard library before
# its gate is in place.
_CHILD = r'''
import json, os, sys, sysconfig, traceback

config = json.loads(open(sys.argv[1]).read())
ALLOWED, REFUSED = set(config["allowed"]), set(config["refused"])
STANDARD = set(sys.stdlib_module_names) | set(sys.builtin_module_names)
MODEL_DIR = os.path.realpath(config["model_dir"])
STDLIB_DIRS = {os.path.realpath(sysconfig.get_path(name)) for name in ("stdlib", "platstdlib")}


def _inside(spec, folder):
    places = list(spec.submodule_search_locations or []) + ([spec.origin] if spec.origin else [])
    for place in places:
        try:
            if os.path.commonpath([os.path.realpath(place), folder]) == folder:
                return True
        except ValueError:
            pass
    return False


def _standard(name, spec):
    """In the standard library: by name, or by place (platform modules such as _sysconfigdata_*)."""
    if name in STANDARD:
        return True
    origin = spec.origin or ""
    return "-packages" not in origin and any(_inside(spec, folder) for folder in STDLIB_DIRS)


class ImportGate:
    """Finds a top-level module only if a clean environment built from the model's requirements has it."""

    def __init__(self, finders):
        self.finders = finders
        self.refused = []

    def find_spec(self, name, path=None, target=None):
        spec = None
        for finder in self.finders:
            find = getattr(finder, "find_spec", None)
            spec = find(name, path, target) if find else None
            if spec is not None:
                break
        if spec is None or "." in name:  # not here anyway, or a submodule of an admitted package
            return spec
        if name not in REFUSED and (name in ALLOWED or _standard(name, spec) or _inside(spec, MODEL_DIR)):
            return spec
        if name not in self.refused:
            self.refused.append(name)
        return None  # as in the clean environment: ModuleNotFoundError

    def find_distributions(self, *args, **kwargs):  # importlib.metadata asks sys.meta_path for these
        for finder in self.finders:
            if hasattr(finder, "find_distributions"):
                yield from finder.find_distributions(*args, **kwargs)

    def invalidate_caches(self):
        for finder in self.finders:
            if hasattr(finder, "invalidate_caches"):
                finder.invalidate_caches()


gate = ImportGate(list(sys.meta_path))
sys.meta_path[:] = [gate]


def _missing_module(error):
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, ModuleNotFoundError) and (error.name or "").partition(".")[0] in gate.refused:
            return error.name.partition(".")[0]
        error = error.__cause__ or error.__context__
    return None


report = {"ok": False, "refused": gate.refused}
try:
    import pandas as pd
    import mlflow.pyfunc

    rows = pd.read_pickle(config["rows"])
    model = mlflow.pyfunc.load_model(config["model_dir"])
    pd.to_pickle(model.predict(rows), config["result"])
    report["ok"] = True
except BaseException as error:
    report.update(error=f"{type(error).__name__}: {error}" if str(error) else type(error).__name__,
                  traceback=traceback.format_exc(),
                  missing=_missing_module(error))
with open(config["report"], "w") as handle:
    json.dump(report, handle)
sys.exit(0 if report["ok"] else 1)
'''


def predict_in_clean_process(
    model_uri: str,
    rows: pd.DataFrame,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    refuse: Iterable[str] = ALWAYS_REFUSED,
) -> pd.DataFrame:
    """Load ``model_uri`` in a fresh Python process limited to the model's requirements, and predict ``rows``.

    ``model_uri`` is any URI MLflow can download (``models:/m-...``, ``models:/name@alias``,
    ``runs:/...``, a local folder). ``refuse`` names top-level modules refused even when installed
    (default: ``mldeploy``). Returns the prediction as a DataFrame. Raises ``ModelIsolationError`` when
    the model cannot be loaded or cannot predict there; its ``module`` is the module that could not be
    imported, when that was the cause.
    """
    import mlflow

    refused = sorted(set(refuse))
    with tempfile.TemporaryDirectory(prefix="mldeploy-clean-") as scratch:
        scratch = Path(scratch)
        model_dir = Path(mlflow.artifacts.download_artifacts(artifact_uri=model_uri, dst_path=str(scratch / "model")))
        requirements_file = model_dir / "requirements.txt"
        if not requirements_file.exists():
            raise ModelIsolationError(f"{model_uri} has no requirements.txt: log it with pip_requirements=[...].")
        requirements = read_requirements(requirements_file)
        empty = scratch / "cwd"
        empty.mkdir()
        files = {name: scratch / name for name in ("config.json", "rows.pkl", "result.pkl", "report.json", "run.py")}
        pd.DataFrame(rows).to_pickle(files["rows.pkl"])
        files["run.py"].write_text(_CHILD)
        files["config.json"].write_text(json.dumps({
            "model_dir": str(model_dir),
            "allowed": sorted(allowed_top_level_modules(requirements) - set(refused)),
            "refused": refused,
            "rows": str(files["rows.pkl"]),
            "result": str(files["result.pkl"]),
            "report": str(files["report.json"]),
        }))
        try:
            done = subprocess.run(
                [sys.executable, "-I", str(files["run.py"]), str(files["config.json"])],
                cwd=empty, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as late:
            raise ModelIsolationError(
                f"{model_uri} did not load and predict within {timeout} s in a clean process."
            ) from late
        output = (done.stdout or "") + (done.stderr or "")
        if not files["report.json"].exists():
            raise ModelIsolationError(
                f"The clean process for {model_uri} ended with code {done.returncode} before reporting:\n"
                f"{output[-3000:]}",
                output=output,
            )
        report = json.loads(files["report.json"].read_text())
        if not report["ok"]:
            raise _explain(model_uri, report, [str(req) for req in requirements], refused, output)
        result = pd.read_pickle(files["result.pkl"])
    return result if isinstance(result, pd.DataFrame) else pd.DataFrame(result)


def _explain(
    model_uri: str, report: dict, requirements: list[str], refused: list[str], output: str
) -> ModelIsolationError:
    module = report.get("missing")
    if module is None:
        also = ""
        if report["refused"] and "ImportError" in report["traceback"]:  # an import failed, maybe because of these
            also = f" Modules a clean environment would not have, refused on the way: {report['refused']}."
        return ModelIsolationError(
            f"{model_uri} failed in a clean process: {report['error']}.{also}\n{report['traceback'][-3000:]}",
            output=output,
        )
    if module in refused:
        why = f"{module!r} is this course's helper package: it is installed only here and never ships with a model."
    else:
        why = (f"{module!r} is installed here, but it is neither in the model's requirements.txt "
               f"({', '.join(requirements)}) nor a dependency of them.")
    return ModelIsolationError(
        f"{model_uri} cannot be loaded where only its requirements are installed: its code imports {module!r}. {why} "
        "Put the code the model needs into the model itself (the models-from-code file passed as "
        "python_model='file.py', or code_paths=[...]) or add its package to pip_requirements.\n"
        f"The error there: {report['error']}",
        module=module,
        output=output,
    )
