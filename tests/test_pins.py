"""pyproject.toml pins what the course imports; constraints.txt locks everything; environment.yml agrees.

- pyproject.toml: every distribution the course imports directly, pinned with ``==``
  (``[project].dependencies``, and the ``test`` extra for what only the tests import).
- constraints.txt (``make lock``): ``pip freeze`` of a fresh venv built from pyproject alone, so every
  transitive distribution too; ``make`` installs with ``-c constraints.txt``.
- environment.yml (conda users): conda installs ``python=3.11``, ``openjdk=17`` and ``pip``; under
  ``pip:`` come ``-c constraints.txt``, pyproject's pins (dependencies, then the ``test`` extra), and
  finally ``-e .`` (the mldeploy package itself, without extras, since the test pins are listed).
"""

from __future__ import annotations

import importlib.metadata
import platform
import re
import sys
import tomllib

import pytest
import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

EDITABLE_SELF = "-e ."
CONSTRAINTS_OPTION = "-c constraints.txt"
SELF = "mldeploy"


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


@pytest.fixture(scope="module")
def pyproject_pins(pyproject) -> dict[str, str]:
    project = pyproject["project"]
    return exact_pins(project["dependencies"] + project["optional-dependencies"]["test"], "pyproject")


@pytest.fixture(scope="module")
def constraints_text(course_root) -> str:
    path = course_root / "constraints.txt"
    assert path.is_file(), "constraints.txt is missing: run `make lock`"
    return path.read_text()


@pytest.fixture(scope="module")
def locked(constraints_text) -> dict[str, str]:
    """constraints.txt as ``{normalised name: version}``: plain ``name==version`` lines only."""
    lines = [line.strip() for line in constraints_text.splitlines()]
    requirements = [line for line in lines if line and not line.startswith("#")]
    for line in requirements:
        try:
            requirement = Requirement(line)
        except InvalidRequirement as error:
            raise AssertionError(f"constraints.txt: {line!r} is not `name==version` ({error})") from None
        # pip refuses extras in a constraints file, and a URL or marker would not pin a version here.
        assert not requirement.extras and not requirement.url and not requirement.marker, f"constraints.txt: {line!r}"
    return exact_pins(requirements, "constraints.txt")


def lock_python(constraints_text: str) -> tuple[str, str, str]:
    """(Python version, system, machine) that the header says `make lock` ran on."""
    found = re.search(r"\(Python (\d+\.\d+)\.\d+\S* on (\S+) (\S+)\)", constraints_text)
    assert found, "constraints.txt's header does not say which Python made it: run `make lock`"
    return found.groups()


def requirement_closure(roots: list[str]) -> set[str]:
    """Every distribution that ``roots`` pull in on this interpreter, read from the installed metadata."""
    seen: set[str] = set()
    todo = [(Requirement(text), "") for text in roots]
    while todo:
        requirement, extra = todo.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        key = f"{name}[{','.join(sorted(requirement.extras))}]"
        if key in seen:
            continue
        seen.add(key)
        try:
            requires = importlib.metadata.distribution(name).requires or []
        except importlib.metadata.PackageNotFoundError:
            pytest.fail(f"{name} is not installed here: run `make` (pip install -c constraints.txt -e \".[test]\")")
        for text in requires:
            child = Requirement(text)
            for wanted in sorted(requirement.extras) or [""]:
                todo.append((child, wanted))
    return {key.split("[")[0] for key in seen}


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
    assert sorted(options) == sorted([CONSTRAINTS_OPTION, EDITABLE_SELF]), (
        f"expected only {CONSTRAINTS_OPTION!r} and {EDITABLE_SELF!r} among pip options, got {options}"
    )
    assert pip_entries[-1] == EDITABLE_SELF, "install mldeploy after its pinned dependencies"


def test_environment_installs_with_the_constraints(pip_entries):
    # conda writes the pip list into a requirements file beside environment.yml and runs pip in that
    # folder, so the relative path finds the lock; every transitive version then matches `make`'s venv.
    assert pip_entries[0] == CONSTRAINTS_OPTION, f"environment.yml's pip list must start with {CONSTRAINTS_OPTION!r}"


def test_constraints_pin_every_pyproject_pin_at_the_same_version(pyproject_pins, locked):
    differences = {
        name: (version, locked.get(name, "missing"))
        for name, version in pyproject_pins.items()
        if locked.get(name) != version
    }
    assert not differences, f"(pyproject.toml, constraints.txt) disagree: {differences}; run `make lock`"
    assert SELF not in locked, "constraints.txt must not pin mldeploy itself (pip freeze --exclude-editable)"


def test_constraints_hold_every_distribution_the_pins_pull_in(pyproject, constraints_text, locked):
    python, system, machine = lock_python(constraints_text)
    here = (f"{sys.version_info.major}.{sys.version_info.minor}", platform.system(), platform.machine())
    if here != (python, system, machine):
        pytest.skip(f"constraints.txt was made on Python {python} {system} {machine}; this is {here}")
    project = pyproject["project"]
    wanted = requirement_closure(project["dependencies"] + project["optional-dependencies"]["test"])
    missing = sorted(wanted - set(locked))
    extra = sorted(set(locked) - wanted)
    assert not missing, f"constraints.txt lacks {missing}: run `make lock`"
    assert not extra, f"constraints.txt pins {extra}, which pyproject.toml no longer pulls in: run `make lock`"


def test_constraints_say_how_they_were_made(constraints_text):
    header = [line for line in constraints_text.splitlines() if line.startswith("#")]
    assert header and constraints_text.startswith("#"), "constraints.txt starts with a comment saying how it was made"
    assert any("make lock" in line for line in header), "the header names the command that regenerates it"


def test_make_installs_from_the_lock_and_redoes_the_venv_when_it_changes(course_root):
    makefile = (course_root / "Makefile").read_text()
    rule = re.search(r"^\$\(INSTALLED\):(.*)$", makefile, re.MULTILINE)
    assert rule and "constraints.txt" in rule.group(1).split(), "the venv's marker must depend on constraints.txt"
    assert re.search(r"pip install .*-c constraints\.txt -e \"\.\[test\]\"", makefile), "make installs with the lock"
    assert re.search(r"^lock:", makefile, re.MULTILINE), "`make lock` regenerates constraints.txt"


def test_environment_is_conda_forge_python_311_and_java_17(environment, conda_specs, pyproject):
    assert environment["name"] == "mldeploy"
    assert environment["channels"] == ["conda-forge"]
    versions = dict(spec.split("=", 1) if "=" in spec else (spec, "") for spec in conda_specs)
    assert versions.get("python") == "3.11"
    assert versions.get("openjdk") == "17"
    assert "pip" in versions
    # The conda Python must be one pyproject accepts.
    assert "3.11" in SpecifierSet(pyproject["project"]["requires-python"])


def test_lock_was_made_on_the_python_conda_installs(constraints_text, conda_specs):
    python, _, _ = lock_python(constraints_text)
    assert f"python={python}" in conda_specs, f"constraints.txt was made with Python {python}; environment.yml differs"
