"""A reused kernel carries nothing from one notebook to the next."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from toolkit.errors import CellFailed
from toolkit.run.execute import execute
from toolkit.run.kernels import KernelSlot


def _notebook(path, *sources):
    nb = new_notebook(cells=[new_code_cell("", metadata={"tags": ["parameters"]}), *map(new_code_cell, sources)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _in_batch_kernel(tmp_path, code):
    """``code`` run as a notebook's cell in a kernel of a batch worker's kind (discarded after)."""
    source = _notebook(tmp_path / "cell.ipynb", code)
    slot = KernelSlot(tmp_path / "ipc")
    (tmp_path / "ipc").mkdir()
    try:
        return execute(source, {}, tmp_path / "out.ipynb", kernel=slot)
    finally:
        slot.discard()


def test_namespace_and_folder_are_reset_between_notebooks(tmp_path):
    first = _notebook(tmp_path / "first.ipynb", "secret = 42\nimport os\npid = os.getpid()\nprint(pid)")
    second = _notebook(
        tmp_path / "second.ipynb",
        "import os, tempfile\nprint(os.getpid(), 'secret' in dir(), os.getcwd(), os.environ.get('ZONGJIE_HEADLESS'),"
        " tempfile.gettempdir())",
    )
    failing = _notebook(tmp_path / "failing.ipynb", "raise ValueError('坏了')")
    slot = KernelSlot(tmp_path / "ipc")
    (tmp_path / "ipc").mkdir()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    try:
        nb1 = execute(first, {}, tmp_path / "a" / "out1.ipynb", kernel=slot)
        nb2 = execute(second, {}, tmp_path / "b" / "out2.ipynb", kernel=slot)
        pid = nb1.cells[-1].outputs[0]["text"].strip()
        shown = nb2.cells[-1].outputs[0]["text"].split()
        # same kernel, clean namespace, its own folder; marked headless (no widget is built for no one);
        # its temporary files in the slot's private folder, which goes with the worker (killed or not)
        assert shown == [pid, "False", str(tmp_path / "b"), "1", str(tmp_path / "ipc")]
        with pytest.raises(CellFailed) as failed:
            execute(failing, {}, tmp_path / "a" / "out3.ipynb", kernel=slot)
        assert failed.value.ename == "ValueError" and "坏了" in str(failed.value)
        assert slot.km is None  # a kernel that failed a notebook is not reused
        # the failed notebook and its HTML are written whole, showing the error
        assert "坏了" in (tmp_path / "a" / "out3.ipynb").read_text(encoding="utf-8")
        assert (tmp_path / "a" / "out3.html").is_file()
    finally:
        slot.discard()


def test_printed_output_keeps_its_place_among_displays(tmp_path):
    """A batch kernel skips flushes with nothing written (toolkit.run.streams); what is written
    still arrives whole and in order with the displays around it, from the main thread and others."""
    cell = (
        "import sys, threading, ipykernel.iostream as io\n"
        "from IPython.display import display\n"
        "print('一', getattr(io.OutStream.flush, 'zongjie', False))\n"
        "display({'text/plain': '二'}, raw=True)\n"
        "print('三', end='')\n"
        "sys.stderr.write('四\\n')\n"
        "display({'text/plain': '五'}, raw=True)\n"
        "t = threading.Thread(target=print, args=('六',)); t.start(); t.join()\n"
        "sys.stdout.flush()\n"
        "display({'text/plain': '七'}, raw=True)"
    )
    nb = _in_batch_kernel(tmp_path, cell)
    shown = [out.get("text") or out["data"]["text/plain"] for out in nb.cells[-1].outputs]
    assert shown == ["一 True\n", "二", "三", "四\n", "五", "六\n", "七"]


def test_executed_notebook_keeps_what_papermill_records(tmp_path):
    """Run through papermill's own steps: parameters injected in a tagged cell after the
    notebook's, recorded in the metadata with each cell's execution, nothing marked failed."""
    source = _notebook(tmp_path / "source.ipynb", "print(bureau, year)")
    (tmp_path / "out").mkdir()
    nb = execute(source, {"bureau": "青山", "year": 2021}, tmp_path / "out" / "done.ipynb")
    injected = nb.cells[1]
    assert injected.metadata.tags == ["injected-parameters"]
    assert "bureau = '青山'" in injected.source  # readable Chinese, not \u escapes
    assert nb.metadata.papermill.parameters == {"bureau": "青山", "year": 2021}
    assert nb.metadata.papermill.exception is None and nb.metadata.papermill.duration > 0
    assert all(c.metadata.papermill.status == "completed" for c in nb.cells)
    assert nb.cells[-1].outputs[0]["text"] == "青山 2021\n"
    assert nbformat.read(tmp_path / "out" / "done.ipynb", 4) == nb


def test_batch_kernel_makes_no_debug_records_it_would_drop(tmp_path):
    code = "log = get_ipython().kernel.log\nprint(log.isEnabledFor(10), min(h.level for h in log.handlers) > 10)"
    nb = _in_batch_kernel(tmp_path, code)
    assert nb.cells[-1].outputs[0]["text"] == "False True\n"
