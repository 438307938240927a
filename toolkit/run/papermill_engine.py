"""The papermill engine and parameter translator classes, loaded by papermill itself.

This module is the target of the ``papermill.engine`` entry point ``zongjie``: papermill
imports it while papermill is being imported. zongjie's own code reaches it through
:mod:`toolkit.run.engine`, which imports papermill first.
"""

from __future__ import annotations

import logging
from typing import Any

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine
from papermill.translators import PythonTranslator


class ReadablePythonTranslator(PythonTranslator):  # type: ignore[misc]  # papermill is untyped
    """Write string parameters as Python literals that keep Chinese readable, not ``\\u`` escapes."""

    @classmethod
    def translate_str(cls, val: str) -> str:
        return repr(val)


class ZongjieEngine(NBClientEngine):  # type: ignore[misc]  # papermill is untyped
    """papermill's nbclient engine for a kernel that may be reused: it leaves a kernel it did
    not start running (closing only its own channels, and none of a client it is given as
    ``kc``) and hands the executed notebook to a ``sink`` even when a cell fails, so the
    caller writes it once, whole."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: int = 60,
        execution_timeout: int | None = None,
        **kwargs: Any,
    ) -> Any:
        sink = kwargs.pop("sink", None)
        connected = kwargs.pop("kc", None)  # a kernel slot's own client: used, and left connected
        kwargs.pop("input_path", None)
        fallback = kwargs.pop("timeout", None)
        kwargs.pop("startup_timeout", None)
        client = PapermillNotebookClient(
            nb_man,
            timeout=execution_timeout or fallback,
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log=logging.getLogger("papermill"),
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
            **kwargs,
        )
        client.kc = connected
        try:
            return client.execute()
        finally:
            if client.kc is not None and not client.owns_km and client.kc is not connected:
                client.kc.stop_channels()
            if sink is not None:
                sink(nb_man.nb)
