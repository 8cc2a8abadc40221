"""utils/check_python.py: `make` stops before `python -m venv` and says what to install (no JVM, no venv)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

SCRIPT = Path(__file__).resolve().parents[1] / "utils" / "check_python.py"


@pytest.fixture(scope="module")
def check_python():
    spec = importlib.util.spec_from_file_location("check_python", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def without(*names):
    return lambda name: name not in names


def test_a_ready_python_has_no_problem(check_python):
    assert check_python.problems((3, 11, 7), without()) == []
    assert check_python.problems() == []  # the Python running the tests built the venv


def test_a_debian_python_without_ensurepip_is_told_which_package_to_install(check_python):
    (message,) = check_python.problems((3, 12, 3), without("ensurepip"))
    assert "ensurepip is missing" in message
    assert "sudo apt install python3.12-venv" in message  # the actual version, not python3-venv
    assert "PYTHON=" in message


def test_a_python_without_venv_is_told_the_same(check_python):
    (message,) = check_python.problems((3, 11, 2), without("venv", "ensurepip"))
    assert "venv and ensurepip are missing" in message and "sudo apt install python3.11-venv" in message


@pytest.mark.parametrize("version", [(3, 10, 13), (3, 14, 0), (2, 7, 18)])
def test_a_python_outside_requires_python_is_refused_before_anything_else(check_python, version):
    (message,) = check_python.problems(version, without("ensurepip"))
    assert "needs Python 3.11 to 3.13" in message and "PYTHON=python3.11" in message


def test_the_supported_range_is_pyprojects(check_python, course_root):
    accepted = SpecifierSet(tomllib.loads((course_root / "pyproject.toml").read_text())["project"]["requires-python"])
    lowest, highest = check_python.MINIMUM, check_python.MAXIMUM
    assert f"{lowest[0]}.{lowest[1]}" in accepted and f"{highest[0]}.{highest[1]}" in accepted
    assert f"{lowest[0]}.{lowest[1] - 1}" not in accepted and f"{highest[0]}.{highest[1] + 1}" not in accepted


def hiding_ensurepip(folder: Path) -> Path:
    """A `python` that runs its script with ``ensurepip`` unimportable, as on Debian without pythonX.Y-venv."""
    fake = folder / "python-without-ensurepip"
    fake.write_text(
        "#!/bin/sh\n"
        f"exec {sys.executable} -c 'import runpy, sys; sys.modules[\"ensurepip\"] = None; "
        "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name=\"__main__\")' \"$@\"\n"
    )
    fake.chmod(0o755)
    return fake


def test_the_script_exits_1_with_the_message(tmp_path):
    result = subprocess.run([hiding_ensurepip(tmp_path), SCRIPT], capture_output=True, text=True, timeout=60)
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert result.returncode == 1
    assert f"sudo apt install python{version}-venv" in result.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_stops_before_creating_the_venv(tmp_path, course_root):
    """`make` on a copy of the course's build files: it fails at the check, with no half-made .venv."""
    for name in ("Makefile", "pyproject.toml", "constraints.txt", "utils/check_python.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(course_root / name, tmp_path / name)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MAKE", "MFLAGS"))}
    result = subprocess.run(
        ["make", "-C", str(tmp_path), ".venv/.installed", f"PYTHON={hiding_ensurepip(tmp_path)}"],
        capture_output=True, text=True, timeout=60, env=env,
    )
    assert result.returncode != 0
    assert "-venv" in result.stderr and "sudo apt install" in result.stderr
    assert not (tmp_path / ".venv").exists()
