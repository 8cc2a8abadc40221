"""mldeploy.paths: where the course folder is, installed editable or not (no JVM)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mldeploy import paths
from mldeploy.paths import COURSE_ROOT_VARIABLE, CourseNotFoundError, course_root, find_course_root


def make_course(folder: Path, datasets: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in paths.COURSE_MARKERS:
        (folder / name).write_text("")
    if datasets:
        (folder / "datasets").mkdir()
    return folder


@pytest.fixture
def nowhere(tmp_path, monkeypatch) -> Path:
    """No course anywhere: not named, not the package's folder, not above the current folder."""
    monkeypatch.delenv(COURSE_ROOT_VARIABLE, raising=False)
    monkeypatch.delenv("MLDEPLOY_LAKE", raising=False)
    monkeypatch.setenv("MLDEPLOY_CACHE", str(tmp_path / "cache"))
    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.setattr(paths, "_EDITABLE_ROOT", site)
    monkeypatch.chdir(site)
    return tmp_path


def test_this_checkout_is_found_through_the_editable_layout(course_root):
    assert find_course_root(environ={}, cwd=Path("/")) == course_root
    assert paths.COURSE_ROOT == course_root


def test_the_variable_comes_first(tmp_path, course_root):
    named = make_course(tmp_path / "named")
    below = make_course(tmp_path / "cwd") / "solutions"
    below.mkdir()
    found = find_course_root(environ={COURSE_ROOT_VARIABLE: str(named)}, package_root=course_root, cwd=below)
    assert found == named


def test_a_variable_naming_another_folder_is_an_error_not_a_guess(tmp_path, course_root):
    with pytest.raises(CourseNotFoundError, match=f"{COURSE_ROOT_VARIABLE}=.* is not the course folder"):
        find_course_root(environ={COURSE_ROOT_VARIABLE: str(tmp_path)}, package_root=course_root, cwd=course_root)


def test_then_the_editable_layout_then_the_current_folder_and_its_parents(tmp_path):
    package_course = make_course(tmp_path / "clone")
    cwd_course = make_course(tmp_path / "elsewhere")
    lesson = cwd_course / "notebooks" / "00_deployment_modes"
    lesson.mkdir(parents=True)
    assert find_course_root(environ={}, package_root=package_course, cwd=lesson) == package_course
    site = tmp_path / "venv" / "lib"
    site.mkdir(parents=True)
    assert find_course_root(environ={}, package_root=site, cwd=lesson) == cwd_course
    assert find_course_root(environ={}, package_root=site, cwd=cwd_course) == cwd_course


def test_one_marker_is_not_enough(tmp_path):
    (tmp_path / "objectives.yml").write_text("")
    assert find_course_root(environ={}, package_root=tmp_path, cwd=tmp_path) is None


def test_no_course_is_a_clear_error_naming_the_variable(nowhere):
    assert find_course_root() is None
    with pytest.raises(CourseNotFoundError, match=f"set {COURSE_ROOT_VARIABLE}="):
        course_root()
    with pytest.raises(CourseNotFoundError, match=COURSE_ROOT_VARIABLE):
        paths.COURSE_ROOT  # noqa: B018 - resolved on access
    with pytest.raises(CourseNotFoundError, match=COURSE_ROOT_VARIABLE):
        from mldeploy.paths import COURSE_ROOT  # noqa: F401


def test_the_lake_falls_back_to_the_cache_without_a_course(nowhere):
    assert paths.lake_dir() == nowhere / "cache" / "lake"


def test_the_lake_is_in_the_named_courses_datasets(nowhere, monkeypatch):
    course = make_course(nowhere / "course", datasets=True)
    monkeypatch.setenv(COURSE_ROOT_VARIABLE, str(course))
    assert paths.lake_dir() == course / "datasets" / "lake"
    assert paths.COURSE_ROOT == course


def test_a_non_editable_install_works_for_learners_and_names_the_variable_for_course_tools(tmp_path, course_root):
    """mldeploy copied into a site folder, run from outside the course: one Python process, no Spark."""
    site = tmp_path / "site"
    shutil.copytree(course_root / "utils" / "mldeploy", site / "mldeploy", ignore=shutil.ignore_patterns("__pycache__"))
    outside = tmp_path / "outside"
    outside.mkdir()
    script = textwrap.dedent(
        f"""
        import contextlib, io, os
        import mldeploy  # the learner API imports without the course
        from mldeploy import paths
        from mldeploy.__main__ import main
        assert mldeploy.__file__.startswith({str(site)!r}), mldeploy.__file__
        assert paths.find_course_root() is None
        assert str(paths.lake_dir()).startswith({str(tmp_path / "cache")!r}), paths.lake_dir()
        errors = io.StringIO()
        with contextlib.redirect_stderr(errors):
            code = main(["run"])
        print("run:", code, errors.getvalue().strip())
        os.environ["{COURSE_ROOT_VARIABLE}"] = {str(course_root)!r}
        from mldeploy.course.objectives import MAP_FILE
        print("named:", MAP_FILE)
        """
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MLDEPLOY_", "PYTHONPATH"))}
    env.update(PYTHONPATH=str(site), MLDEPLOY_CACHE=str(tmp_path / "cache"))
    result = subprocess.run([sys.executable, "-c", script], cwd=outside, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    run_line, named_line = [line for line in result.stdout.splitlines() if line.startswith(("run:", "named:"))]
    assert run_line.startswith("run: 2 ") and f"set {COURSE_ROOT_VARIABLE}=" in run_line
    assert named_line == f"named: {course_root / 'objectives.yml'}"
