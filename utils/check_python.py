"""Can this Python build the course's venv? ``make`` runs it before ``python -m venv``.

Exits 1 with what to install or set, instead of a confusing error from ``venv`` or pip later on:
a Python outside ``requires-python`` (pyproject.toml; tests/test_check_python.py keeps the two equal),
or a Debian/Ubuntu Python without its ``pythonX.Y-venv`` package (no ``ensurepip``, so ``venv`` cannot
install pip). Standard library only, and old syntax: it runs on whatever ``python3`` the machine has.
"""

import sys

#: The Python versions pyproject.toml's ``requires-python`` accepts: from MINIMUM up to MAXIMUM.
MINIMUM = (3, 11)
MAXIMUM = (3, 13)


def problems(version_info=None, has_module=None):
    """What stops this Python from building the venv, as messages to print (empty when nothing does)."""
    version_info = tuple(sys.version_info[:3] if version_info is None else version_info[:3])
    if has_module is None:
        has_module = _has_module
    version = "%d.%d" % version_info[:2]
    found = "%s (Python %s)" % (sys.executable or "python", ".".join(str(part) for part in version_info))
    supported = "%d.%d to %d.%d" % (MINIMUM + MAXIMUM)
    if not MINIMUM <= version_info[:2] <= MAXIMUM:
        return [
            "The course needs Python %s; found %s.\n"
            "Install one (your system's packages, pyenv or conda), then name it to make:\n"
            "    make run PYTHON=python3.11" % (supported, found)
        ]
    missing = [name for name in ("venv", "ensurepip") if not has_module(name)]
    if missing:
        return [
            "%s cannot create a virtual environment: the module%s %s %s missing.\n"
            "On Debian or Ubuntu, install the package that provides %s:\n"
            "    sudo apt install python%s-venv\n"
            "then run make again (or pass another Python %s: make run PYTHON=/path/to/python3)."
            % (
                found,
                "s" if len(missing) > 1 else "",
                " and ".join(missing),
                "are" if len(missing) > 1 else "is",
                "them" if len(missing) > 1 else "it",
                version,
                supported,
            )
        ]
    return []


def _has_module(name):
    try:
        import importlib.util

        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def main():
    found = problems()
    for message in found:
        sys.stderr.write(message + "\n")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
