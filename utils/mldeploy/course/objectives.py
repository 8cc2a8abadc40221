"""The objectives map: every syllabus ID, the lesson sections that teach it, the items that grade it.

``objectives.yml`` is the map; ``../shared/syllabus.md`` is the source of truth for IDs.
``problems()`` lists what is wrong with the map, and ``coverage_markdown()`` renders the README table
that ``with_coverage()`` places between the README's coverage markers.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from ..paths import COURSE_ROOT
from .notebooks import graded_items, section_titles

MAP_FILE = COURSE_ROOT / "objectives.yml"
README = COURSE_ROOT / "README.md"
COVERAGE_START, COVERAGE_END = "<!-- coverage:start -->", "<!-- coverage:end -->"
STATUSES = ("done", "planned")


def syllabus_file() -> Path:
    return Path(os.environ.get("MLDEPLOY_SYLLABUS", COURSE_ROOT.parent / "shared" / "syllabus.md"))


def syllabus_ids(text: str) -> dict[str, str]:
    """ID -> short title, from the syllabus's ``- M1 Title: details`` lines."""
    found = {}
    for match in re.finditer(r"^- ([A-Z]\d+) (.+)$", text, re.MULTILINE):
        found[match.group(1)] = re.split(r"[:;] ", match.group(2), maxsplit=1)[0].strip().rstrip(".")
    return found


def load_map(path: Path = MAP_FILE) -> dict[str, dict]:
    return yaml.safe_load(path.read_text())["objectives"]


def solution_path(lesson: str, root: Path = COURSE_ROOT) -> Path:
    return root / "solutions" / lesson / f"{lesson}.ipynb"


def problems(objectives: dict[str, dict], ids: set[str], root: Path = COURSE_ROOT) -> list[str]:
    """Everything wrong with the map; empty when every ID is mapped and every done entry is real."""
    found = [f"{oid}: in the syllabus but not in objectives.yml" for oid in sorted(ids - objectives.keys())]
    found += [f"{oid}: in objectives.yml but not in the syllabus" for oid in sorted(objectives.keys() - ids)]
    for oid, entry in sorted(objectives.items()):
        status = entry.get("status")
        if status not in STATUSES:
            found.append(f"{oid}: status must be one of {STATUSES}, not {status!r}")
            continue
        if status != "done":
            continue
        for home in homes(entry):
            found += _home_problems(oid, home, root)
    return found


def homes(entry: dict) -> list[dict]:
    """Where an objective is taught and graded: its ``lesson``, then each ``also`` entry (a lesson that adds to it)."""
    return [entry, *(entry.get("also") or [])]


def lessons_of(entry: dict) -> list[str]:
    return [home.get("lesson", "") for home in homes(entry)]


def _home_problems(oid: str, home: dict, root: Path) -> list[str]:
    """What is wrong with one lesson's claim to teach and grade ``oid``."""
    notebook = solution_path(home.get("lesson", ""), root)
    if not notebook.exists():
        return [f"{oid}: lesson {home.get('lesson')!r} has no notebook at {notebook}"]
    found = []
    titles = section_titles(notebook)
    for section in home.get("sections") or []:
        if not any(title.startswith(section) for title in titles):
            found.append(f"{oid}: no section starting {section!r} in {notebook.name}")
    graded = graded_items(notebook)
    items = home.get("graded") or []
    if not items:
        found.append(f"{oid}: done, but no graded item checks it in {notebook.name}")
    for item in items:
        if graded.get(item, 0) <= 0:
            found.append(f"{oid}: {item!r} is not a graded cell with points in {notebook.name}")
    if not home.get("sections"):
        found.append(f"{oid}: done, but names no section that teaches it in {notebook.name}")
    return found


def coverage_markdown(objectives: dict[str, dict], titles: dict[str, str]) -> str:
    """The README's coverage table, one row per syllabus ID."""
    lines = ["| ID | Objective | Lesson | Status | Graded by |", "|---|---|---|---|---|"]
    for oid in [*titles, *sorted(objectives.keys() - titles.keys())]:
        entry = objectives.get(oid, {"status": "missing"})
        graded = ", ".join(f"`{item}`" for home in homes(entry) for item in home.get("graded") or []) or "-"
        lessons = ", ".join(lessons_of(entry)) if entry.get("lesson") else "-"
        lines.append(f"| {oid} | {titles.get(oid) or entry.get('title', '')} | {lessons} | {entry['status']} | {graded} |")
    done = sum(entry["status"] == "done" for entry in objectives.values())
    lines.append("")
    lines.append(f"{done} of {len(objectives)} objectives taught and graded"
                 + (": the map is complete." if done == len(objectives) else " so far."))
    return "\n".join(lines)


def with_coverage(readme: str, table: str) -> str:
    """``readme`` with ``table`` between its coverage markers (which must be there)."""
    before, found, rest = readme.partition(COVERAGE_START)
    _, found_end, after = rest.partition(COVERAGE_END)
    if not (found and found_end):
        raise ValueError(f"The README needs the markers {COVERAGE_START} and {COVERAGE_END} around its coverage table.")
    return f"{before}{COVERAGE_START}\n{table}\n{COVERAGE_END}{after}"
