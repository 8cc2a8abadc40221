"""``mldeploy``'s public names: each is the object the lessons use, and importing the package costs nothing.

The package imports a name's module only when the name is first used (``mldeploy/__init__.py``). Each test
runs in a fresh interpreter, since this session has long imported everything.
"""

from __future__ import annotations

import subprocess
import sys


def run_python(code: str) -> None:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]


def test_every_public_name_is_its_object_even_after_every_module_was_imported():
    # A module named like a name it exports (scan_metrics) would shadow the name once imported.
    run_python(
        "import importlib, pkgutil, types, mldeploy\n"
        "for info in pkgutil.iter_modules(mldeploy.__path__):\n"
        "    if not info.name.startswith('_'):\n"
        "        importlib.import_module('mldeploy.' + info.name)\n"
        "modules = [name for name in mldeploy.__all__ if isinstance(getattr(mldeploy, name), types.ModuleType)]\n"
        "assert not modules, f'these names give a module, not the object: {modules}'\n"
        "from mldeploy import scan_metrics, get_spark, FEATURES\n"
        "assert callable(scan_metrics) and callable(get_spark) and FEATURES\n"
    )


def test_importing_the_package_loads_none_of_its_heavy_dependencies():
    run_python(
        "import sys, mldeploy\n"
        "heavy = [name for name in ('pandas', 'pyspark', 'scipy', 'mlflow', 'sklearn') if name in sys.modules]\n"
        "assert not heavy, f'import mldeploy loaded {heavy}'\n"
        "from mldeploy import KEY\n"
        "assert 'pandas' in sys.modules and 'pyspark' not in sys.modules, 'a name loads its own module only'\n"
    )


def test_an_unknown_name_says_so():
    run_python(
        "import mldeploy\n"
        "try:\n"
        "    mldeploy.get_sparkk\n"
        "except AttributeError as error:\n"
        "    assert 'get_sparkk' in str(error)\n"
        "else:\n"
        "    raise SystemExit('no AttributeError')\n"
    )
