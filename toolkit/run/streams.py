"""A batch kernel's stdout and stderr, flushed only when something was written; its log.

ipykernel sends what a cell prints from its IOPub thread. Before every display and after
every cell it flushes ``sys.stdout`` and ``sys.stderr`` by handing the flush to that
thread and waiting for it (~0.4 ms a time), whether anything was written or not. A report
notebook prints nothing and shows ~17 displays in 11 cells: ~90 waits, a sixth of a
notebook's time in a batch. :func:`install`, run by a batch kernel as it starts (see
``kernels.PRELOAD``), makes a flush with nothing buffered return at once; anything written
is flushed as before, in the same order.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from ipykernel.iostream import OutStream
from IPython import get_ipython

#: What an ``OutStream`` must have for the shortcut to be safe (ipykernel 6.x–7.x).
_STATE = ("_buffers", "_flush_pending", "_subprocess_flush_pending")


def install() -> bool:
    """Make empty flushes of the kernel's output streams free; ``False`` (and nothing changed)
    where ipykernel keeps its buffers otherwise."""
    streams = [s for s in (sys.stdout, sys.stderr) if isinstance(s, OutStream)]
    if not streams or not all(hasattr(s, name) for s in streams for name in _STATE):
        return False
    flush = OutStream.flush
    if getattr(flush, "zongjie", False):
        return True

    def quick_flush(self: Any) -> None:
        if self._buffers or self._flush_pending or self._subprocess_flush_pending:
            flush(self)  # type: ignore[no-untyped-call]

    quick_flush.zongjie = True  # type: ignore[attr-defined]
    OutStream.flush = quick_flush  # type: ignore[method-assign]
    return True


def log_only_shown() -> None:
    """Set the kernel's logger to the level its handlers show: traitlets leaves the logger at
    DEBUG and filters in the handler, so each request's debug lines (~55 a notebook) were
    made into records only to be dropped."""
    shell = get_ipython()
    log = getattr(getattr(shell, "kernel", None), "log", None)
    if isinstance(log, logging.Logger) and log.handlers:
        log.setLevel(min(h.level for h in log.handlers))
