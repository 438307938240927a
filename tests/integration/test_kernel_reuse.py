"""A reused kernel carries nothing from one notebook to the next."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from toolkit.execute import KernelSlot, execute


def _notebook(path, *sources):
    nb = new_notebook(cells=[new_code_cell("", metadata={"tags": ["parameters"]}), *map(new_code_cell, sources)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_namespace_and_folder_are_reset_between_notebooks(tmp_path):
    first = _notebook(tmp_path / "first.ipynb", "secret = 42\nimport os\npid = os.getpid()\nprint(pid)")
    second = _notebook(tmp_path / "second.ipynb", "import os\nprint(os.getpid(), 'secret' in dir(), os.getcwd())")
    failing = _notebook(tmp_path / "failing.ipynb", "raise ValueError('坏了')")
    slot = KernelSlot(tmp_path / "ipc")
    (tmp_path / "ipc").mkdir()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    try:
        nb1, err1 = execute({}, tmp_path / "a" / "out1.ipynb", ipc_root=slot.ipc_root, source=first, kernel=slot)
        nb2, err2 = execute({}, tmp_path / "b" / "out2.ipynb", ipc_root=slot.ipc_root, source=second, kernel=slot)
        assert err1 is None and err2 is None
        pid = nb1.cells[-1].outputs[0]["text"].strip()
        shown = nb2.cells[-1].outputs[0]["text"].split()
        assert shown == [pid, "False", str(tmp_path / "b")]  # same kernel, clean namespace, its own folder
        _, err3 = execute({}, tmp_path / "a" / "out3.ipynb", ipc_root=slot.ipc_root, source=failing, kernel=slot)
        assert err3 is not None and "坏了" in str(err3)
    finally:
        slot.discard()
