"""How zongjie asks papermill to run a notebook: its engine, its translator, a time budget.

Both are registered through papermill's own extension points: the engine as the
``papermill.engine`` entry point ``zongjie`` (see ``pyproject.toml``; the class lives in
:mod:`toolkit.run.papermill_engine`), the translator under a language name of its own,
``zongjie-python``, which a run asks for explicitly — papermill's translator for
``python`` stays what it is for everyone else.
"""

from __future__ import annotations

import time
from typing import Any

import papermill  # first: papermill loads its entry points, this package's engine among them
from papermill.engines import papermill_engines
from papermill.exceptions import PapermillException
from papermill.translators import papermill_translators

from toolkit.run.papermill_engine import ReadablePythonTranslator, ZongjieEngine

ENGINE = "zongjie"
LANGUAGE = "zongjie-python"
__all__ = ["ENGINE", "LANGUAGE", "Deadline", "ensure_registered", "papermill"]


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
