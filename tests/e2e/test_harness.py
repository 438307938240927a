"""The harness itself: a small widget notebook opened, run through the Run menu, and clicked."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import Lab, LabServer, expect

SOURCE = """\
import ipywidgets as widgets
from IPython.display import display

result = widgets.HTML("等待生成").add_class("zj-result")
button = widgets.Button(description="生成报告").add_class("zj-generate")
button.on_click(lambda _: setattr(result, "value", "<a href='#'>report.docx</a>"))
display(widgets.VBox([button, result]).add_class("zj-panel"))
"""


def write_notebook(path: Path, *sources: str) -> None:
    """A minimal nbformat 4 notebook with one code cell per source."""
    cells = [
        {"cell_type": "code", "execution_count": None, "id": f"cell-{i}", "metadata": {}, "outputs": [], "source": s}
        for i, s in enumerate(sources)
    ]
    notebook = {
        "cells": cells,
        "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook, ensure_ascii=False, indent=1), encoding="utf-8")


def test_widget_notebook_runs_and_responds(lab: Lab, lab_server: LabServer):
    write_notebook(lab_server.root / "e2e-harness" / "harness.ipynb", "x = 1 + 1", SOURCE)

    lab.open("e2e-harness/harness.ipynb")
    lab.shot("opened")
    lab.run_all(timeout=90)
    panel = lab.widget("zj-panel")
    expect(panel).to_be_visible(timeout=30_000)
    lab.shot("ran")

    expect(lab.widget("zj-result")).to_have_text("等待生成")
    lab.widget("zj-generate").click()
    expect(lab.widget("zj-result")).to_contain_text("report.docx", timeout=15_000)
    lab.shot("clicked")
