"""nbgrader's execution with the grader's own checks around every test cell (named in ``nbgrader_config.py``).

A test cell earns its points when it raises nothing, and it runs in the submission's Python process. So a
submission can try to make failing tests pass without touching them: replace ``np.allclose`` or
``pd.testing.assert_frame_equal`` with a function that accepts anything, or change how the kernel runs
cells (an input transformer that empties them, a patched ``run_cell``). ``GuardedExecute``:

- before the first cell (before any of the learner's code), records the assertion helpers the hidden tests
  use (NumPy's, pandas', ``math``'s and the builtins) and IPython's cell transformers;
- before every test cell, puts them all back as recorded;
- after every test cell, sends a cell that must fail with a random message. If the kernel does not answer
  with exactly that error, it no longer reports failures honestly: this and every later test cell score
  zero, and the grader's log says so (``make grade`` lists it among the problems).

Code running inside the kernel can still study and defeat these checks in ways that a process boundary
alone would stop (the README's instructor section says what remains); they stop the easy tricks.
"""

from __future__ import annotations

import asyncio
import secrets

from nbclient.util import run_sync
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from nbgrader.utils import is_grade

#: The log line ``make grade`` looks for to report a submission that tampered with its kernel.
TAMPERED = "the kernel stopped reporting failures honestly"
#: Seconds the grader waits for its own short cells (a kernel that does not answer them is not trusted).
GUARD_TIMEOUT_SECONDS = 120

PRELUDE = r'''
def _mldeploy_guard():
    import builtins, importlib, math, sys
    modules = ["builtins", "math", "operator", "numpy", "numpy.testing", "numpy.testing._private.utils",
               "numpy._core.numeric", "numpy.core.numeric", "pandas", "pandas.testing", "pandas._testing",
               "pandas._testing.asserters"]
    saved = []
    for name in modules:
        try:
            module = importlib.import_module(name)
        except Exception:
            continue
        saved.append((module.__dict__, dict(module.__dict__)))
    classes = []
    try:
        import pandas
        classes += [pandas.DataFrame, pandas.Series, pandas.Index]
    except Exception:
        pass
    shell = get_ipython()
    classes += list(type(shell).__mro__[:-1])
    saved_classes = [(cls, dict(cls.__dict__)) for cls in classes]
    lists = [shell.input_transformers_cleanup, shell.input_transformers_post, shell.ast_transformers]
    saved_lists = [(items, list(items)) for items in lists]

    def restore(_saved=tuple(saved), _classes=tuple(saved_classes), _lists=tuple(saved_lists),
                _setattr=setattr, _delattr=delattr, _sys=sys, _shell=shell, _type=type):
        for namespace, snapshot in _saved:
            for key, value in snapshot.items():
                if namespace.get(key) is not value:
                    namespace[key] = value
        for cls, snapshot in _classes:
            for key, value in snapshot.items():
                if key not in ("__dict__", "__weakref__", "__doc__") and cls.__dict__.get(key) is not value:
                    _setattr(cls, key, value)
        for items, snapshot in _lists:
            items[:] = snapshot
        for key in ("run_cell", "run_cell_async", "run_ast_nodes", "run_code", "showtraceback", "transform_cell"):
            _shell.__dict__.pop(key, None)
        _sys.settrace(None)
        _sys.setprofile(None)
    return restore

_mldeploy_guard = _mldeploy_guard()
'''

RESTORE = "_mldeploy_guard()"


class GuardedExecute(Execute):
    """nbgrader's ``Execute``, with helpers restored before and a canary after every test cell."""

    async def async_execute_cell(self, cell: NotebookNode, cell_index: int, execution_count: int | None = None,
                                 store_history: bool = True) -> NotebookNode:
        if not getattr(self, "_guard_started", False):
            self._guard_started, self._trusted = True, True
            await self._run_quietly(PRELUDE)
        graded = cell.cell_type == "code" and is_grade(cell)
        if graded and self._trusted:
            await self._run_quietly(RESTORE)
        cell = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        if graded:
            if self._trusted and not await self._canary_fails_as_expected():
                self._trusted = False
                self.log.error("%s: after test cell %r, a cell that must fail did not; this and every later "
                               "test cell score zero", TAMPERED, cell.metadata.get("nbgrader", {}).get("grade_id"))
            if not self._trusted:
                cell.outputs.append(NotebookNode(
                    output_type="error", ename="GradingIntegrityError",
                    evalue="The grader could not trust this kernel's answers (a cell that must fail did not): "
                           "this test cell scores zero.",
                    traceback=["GradingIntegrityError: the kernel stopped reporting failures honestly"]))
        return cell

    # nbclient binds its synchronous ``execute_cell`` to its own coroutine: bind it to this one.
    execute_cell = run_sync(async_execute_cell)

    async def _run_quietly(self, code: str) -> dict | None:
        """Run the grader's own code in the kernel (no output, no history); its reply, or None if none came."""
        msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        try:
            return await asyncio.wait_for(self._reply_to(msg_id), GUARD_TIMEOUT_SECONDS)
        except asyncio.TimeoutError:
            return None

    async def _reply_to(self, msg_id: str) -> dict:
        while True:
            message = await self.kc.shell_channel.get_msg(timeout=GUARD_TIMEOUT_SECONDS)
            if message["parent_header"].get("msg_id") == msg_id:
                return message

    async def _canary_fails_as_expected(self) -> bool:
        nonce = secrets.token_hex(16)
        reply = await self._run_quietly(f"raise AssertionError({nonce!r})")
        content = (reply or {}).get("content", {})
        return content.get("status") == "error" and content.get("ename") == "AssertionError" \
            and content.get("evalue") == nonce
