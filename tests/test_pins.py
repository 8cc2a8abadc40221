"""pyproject.toml pins the course's versions; environment.yml (for conda users) must ask for the same.

Scheme of environment.yml: conda installs ``python=3.11``, ``openjdk=17`` and ``pip``; under ``pip:``
come pyproject's ``[project].dependencies``, then its ``test`` extra, each pinned with ``==``, and
finally ``-e .`` (the mldeploy package itself, without extras, since the test pins are listed).
"""

from __future__ import annotations

import sys

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: pip ships the same parser
    from pip._vendor import tomli as tomllib

EDITABLE_SELF = "-e ."


def exact_pins(requirements: list[str], source: str) -> dict[str, str]:
    """``{normalised name: version}`` for requirements that must all be ``name[extras]==version``."""
    pins: dict[str, str] = {}
    for text in requirements:
        requirement = Requirement(text)
        specs = list(requirement.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"{source}: {text!r} is not pinned with =="
        name = canonicalize_name(requirement.name)  # pyspark[connect,pipelines] -> pyspark
        assert name not in pins, f"{source}: {name} is listed twice"
        pins[name] = specs[0].version
    return pins


@pytest.fixture(scope="module")
def pyproject(course_root) -> dict:
    return tomllib.loads((course_root / "pyproject.toml").read_text())


@pytest.fixture(scope="module")
def environment(course_root) -> dict:
    return yaml.safe_load((course_root / "environment.yml").read_text())


@pytest.fixture(scope="module")
def conda_specs(environment) -> list[str]:
    return [entry for entry in environment["dependencies"] if isinstance(entry, str)]


@pytest.fixture(scope="module")
def pip_entries(environment) -> list[str]:
    sections = [entry["pip"] for entry in environment["dependencies"] if isinstance(entry, dict) and "pip" in entry]
    assert len(sections) == 1, "environment.yml needs exactly one `pip:` section"
    return sections[0]


def test_pyproject_pins_are_exact_and_unique(pyproject):
    runtime = exact_pins(pyproject["project"]["dependencies"], "pyproject dependencies")
    test = exact_pins(pyproject["project"]["optional-dependencies"]["test"], "pyproject test extra")
    assert not set(runtime) & set(test), "a package is pinned both as a dependency and in the test extra"
    assert {"pyspark", "delta-spark", "mlflow", "pytest"} <= set(runtime) | set(test)


def test_environment_pip_pins_equal_pyproject(pyproject, pip_entries):
    expected = exact_pins(
        pyproject["project"]["dependencies"] + pyproject["project"]["optional-dependencies"]["test"], "pyproject"
    )
    requirements = [entry for entry in pip_entries if not entry.startswith("-")]
    found = exact_pins(requirements, "environment.yml")
    differences = {
        name: (expected.get(name, "missing"), found.get(name, "missing"))
        for name in set(expected) | set(found)
        if expected.get(name) != found.get(name)
    }
    assert not differences, f"(pyproject.toml, environment.yml) disagree: {differences}"


def test_environment_installs_the_package_itself_once(pip_entries):
    options = [entry for entry in pip_entries if entry.startswith("-")]
    assert options == [EDITABLE_SELF], f"expected only {EDITABLE_SELF!r} among pip options, got {options}"
    assert pip_entries[-1] == EDITABLE_SELF, "install mldeploy after its pinned dependencies"


def test_environment_is_conda_forge_python_311_and_java_17(environment, conda_specs, pyproject):
    assert environment["name"] == "mldeploy"
    assert environment["channels"] == ["conda-forge"]
    versions = dict(spec.split("=", 1) if "=" in spec else (spec, "") for spec in conda_specs)
    assert versions.get("python") == "3.11"
    assert versions.get("openjdk") == "17"
    assert "pip" in versions
    # The conda Python must be one pyproject accepts.
    assert "3.11" in SpecifierSet(pyproject["project"]["requires-python"])
