"""How zongjie asks papermill to run a notebook: its engine, its translator, a time budget.

Both are registered through papermill's own extension points: the engine as the
``papermill.engine`` entry point ``zongjie`` (see ``pyproject.toml``; the class lives in
:mod:`toolkit.run.papermill_engine`), the translator under a language name of its own,
``zongjie-python``, which a run asks for explicitly — papermill's translator for
``python`` stays what it is for everyone else.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import papermill  # first: papermill loads its entry points, this package's engine among them
from papermill.engines import papermill_engines
from papermill.exceptions import PapermillException
from papermill.execute import prepare_notebook_metadata, raise_for_execution_errors, remove_error_markers
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook
from papermill.translators import papermill_translators
from papermill.utils import chdir

from toolkit.run.papermill_engine import ReadablePythonTranslator, ZongjieEngine

ENGINE = "zongjie"
LANGUAGE = "zongjie-python"
KERNEL = "python3"
__all__ = ["ENGINE", "KERNEL", "LANGUAGE", "Deadline", "ensure_registered", "execute_notebook", "papermill"]


class Deadline:
    """nbclient's per-cell timeout made into one budget for the whole notebook."""

    def __init__(self, seconds: int):
        self.seconds, self.start = seconds, 0.0

    def __call__(self, cell: Any) -> int:
        now = time.monotonic()
        self.start = self.start or now
        return max(1, int(self.seconds - (now - self.start)))


def ensure_registered() -> None:
    """Make sure the engine and translator are known to papermill.

    The engine normally arrives through its entry point; an environment installed before
    the entry point existed gets it here, under its own name. Neither replaces anything.
    """
    try:
        papermill_engines.get_engine(ENGINE)
    except PapermillException:
        papermill_engines.register(ENGINE, ZongjieEngine)
    try:
        papermill_translators.find_translator(LANGUAGE, LANGUAGE)
    except PapermillException:
        papermill_translators.register(LANGUAGE, ReadablePythonTranslator)


def execute_notebook(source: Path, parameters: dict[str, Any], cwd: Path, **engine_options: Any) -> Any:
    """``papermill.execute_notebook(source, None, ...)`` with this package's engine and
    translator: the notebook parameterised and run by papermill, the executed notebook returned.

    papermill's own function ends by writing the executed notebook to its output path, and
    with none (the caller writes it, once and whole, after making it fit for reading) it
    still serialised and validated the whole notebook for nothing (5 ms a notebook). Here
    every other step is papermill's, in papermill's order.
    """
    ensure_registered()
    nb = load_notebook_node(str(source))
    nb = parameterize_notebook(nb, parameters, False, kernel_name=KERNEL, language=LANGUAGE, engine_name=ENGINE)
    nb = remove_error_markers(prepare_notebook_metadata(nb, str(source), None))
    with chdir(str(cwd)):
        nb = papermill_engines.execute_notebook_with_engine(
            ENGINE,
            nb,
            input_path=str(source),
            output_path=None,
            kernel_name=KERNEL,
            progress_bar=False,
            log_output=False,
            start_timeout=60,
            stdout_file=None,
            stderr_file=None,
            **engine_options,
        )
    raise_for_execution_errors(nb, None)
    return nb
