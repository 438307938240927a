"""The executed notebook a reader opens later: no dead widget, counts from 1 (export.for_reading)."""

from __future__ import annotations

import re

import nbformat
import pytest

from toolkit.publish.html import WIDGET_VIEW, for_reading


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


def test_exported_page_is_accessible_and_reads_as_text():
    """The reviewer's page: images with alt text, outputs focusable, headings as characters."""
    from toolkit.publish.html import notebook_html

    image = nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "图"})
    html_out = nbformat.v4.new_output("display_data", data={"text/html": "<p>数据 &lt;b&gt; &amp;</p>"})
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("## 二、报告数据 <x> & 1"), _cell(1, image, html_out)]
    )
    page = notebook_html(nb, "hedong").decode("utf-8")
    assert "二、报告数据" in page and "&#" not in page.split("<body", 1)[1].replace("&#182;", "")
    assert "数据 &lt;b&gt; &amp;" in page
    assert all("alt=" in tag for tag in re.findall(r"<img[^>]*>", page)) and "<img" in page
    outputs = re.findall(r'<div class="[^"]*jp-OutputArea-output[^"]*"[^>]*>', page)
    assert len(outputs) == 2 and all('tabindex="0"' in tag for tag in outputs)
    assert '<html lang="zh-CN">' in page


def test_character_references_become_characters_except_markup():
    from toolkit.publish.html import _accessible

    assert _accessible("<h2>&#19968;&#x4E8C;&#60;&#x26;&#34;&#39;&#0;</h2>") == "<h2>一二&#60;&#x26;&#34;&#39;&#0;</h2>"


@pytest.mark.parametrize(
    ("page", "online"),
    [
        ('<img src="//cdn.example/a.png">', True),
        ("<a HREF = 'https://example.org'>", True),
        ("<script src=http://example.org/x.js>", True),
        ('<link href=\n   "https://example.org/a.css">', True),
        ("a // b and http://example.org in text", False),
        ('<img src="data:image/png;base64,//8AAA">', False),
        ('<a href="#x">//</a>', False),
    ],
)
def test_online_resources_are_found(page, online):
    from toolkit.publish.html import _online

    assert _online("<p>" + "x" * 5000 + "</p>" + page) is online
