"""The executed notebook a reader opens later: no dead widget, counts from 1 (export.for_reading)."""

from __future__ import annotations

import nbformat

from toolkit.export import WIDGET_VIEW, for_reading


def _cell(count, *outputs):
    return nbformat.v4.new_code_cell("x", execution_count=count, outputs=list(outputs))


def test_widget_view_dropped_summary_kept_and_counts_renumbered():
    widget = nbformat.v4.new_output(
        "display_data",
        data={WIDGET_VIEW: {"model_id": "abc"}, "text/plain": "交互核对面板", "text/html": "<p>交互核对面板</p>"},
    )
    bare = nbformat.v4.new_output("display_data", data={WIDGET_VIEW: {"model_id": "def"}})
    result = nbformat.v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=24)
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# 标题"), _cell(23, result), _cell(None), _cell(25, widget, bare)],
        metadata={"widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}}},
    )
    out = for_reading(nb)
    code = [c for c in out.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == [1, None, 2]
    assert code[0].outputs[0]["execution_count"] == 1
    assert code[2].outputs == [widget] and WIDGET_VIEW not in widget["data"]
    assert widget["data"]["text/html"] == "<p>交互核对面板</p>"
    assert "widgets" not in out.metadata
