"""The charts in the reviewer's exported HTML, drawn by Chromium with real fonts: whole, in place, scaled."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import nbformat
import pytest
from conftest import PARAMS

from toolkit.data.params import BureauParams
from toolkit.publish.html import notebook_html
from toolkit.report.figures import Scope
from toolkit.report.prepare import prepare
from toolkit.ui import charts

from .conftest import artifact_folder

HOSTILE = "<b>青山</b> & \"局\" 'x' " + "名称很长的单位" * 12


@pytest.fixture(scope="module")
def page_file(tmp_path_factory, sample_ledgers) -> Path:
    """A notebook holding the charts as the report notebook displays them, exported as the batch does."""
    rep = prepare(sample_ledgers, PARAMS, "qingshan", 2022)
    kinds = [f"活动<{i}>&类别" for i in range(30)]
    rows = [{"date": date(2022, 1 + i % 12, 2), "kind": kinds[i % 30]} for i in range(300)]
    hostile = Scope("x", 2022, BureauParams("x", Path("x.yaml"), {"name": HOSTILE}), rows, [], {}, date(2023, 1, 1))
    drawings = [
        charts.activities_per_month(rep.scope),
        charts.finance_against_previous(rep.figures, rep.previous),
        charts.activities_per_month(hostile),
        charts.finance_against_previous(rep.figures, None),
    ]
    outputs = [nbformat.v4.new_output("display_data", data={"image/svg+xml": d}) for d in drawings]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("zj.show_charts(rep)", outputs=outputs)])
    path = tmp_path_factory.mktemp("charts") / "report.html"
    path.write_bytes(notebook_html(nb, "report"))
    return path


#: For every chart: its box, its plot's and legend's boxes, and every text's box, as the browser lays them out.
MEASURE = """() => [...document.querySelectorAll('svg[role=img]')].map(svg => {
  const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const legend = svg.querySelector('g.legend');
  return {
    svg: box(svg),
    plot: box(svg.querySelector('rect.plot')),
    legend: legend ? box(legend) : null,
    bars: [...svg.querySelectorAll('rect.bar')].map(box),
    texts: [...svg.querySelectorAll('text')].map(t => [t.textContent, ...box(t)]),
    title: svg.querySelector('title').textContent,
    injected: svg.querySelectorAll('b, script').length,
  };
})"""


def _inside(inner, outer, slack=0.5) -> bool:
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


@pytest.mark.parametrize("width", [1400, 520])
def test_charts_show_whole_in_chromium(page, page_file, width, request):
    page.set_viewport_size({"width": width, "height": 1000})
    page.goto(page_file.as_uri(), wait_until="load")
    page.screenshot(path=str(artifact_folder(request.node) / "charts.png"), full_page=True)  # to look at
    found = page.evaluate(MEASURE)
    assert len(found) == 4
    for chart in found:
        assert chart["injected"] == 0  # names stay text
        left, _top, right, _bottom = chart["svg"]
        assert right <= width  # scaled down to the page, not cut by it
        if width < 760:
            assert right - left < 760
        for text, *box in chart["texts"]:
            assert _inside(box, chart["svg"]), (chart["title"], text, box, chart["svg"])
        for bar in chart["bars"]:
            assert _inside(bar, chart["plot"], slack=1.0), (chart["title"], bar)
        if chart["legend"]:
            assert chart["legend"][0] > chart["plot"][2]  # beside the plot, never over a bar
            labels = [b for t, *b in chart["texts"] if _inside(b, chart["legend"])]
            assert labels and all(b[0] > chart["plot"][2] for b in labels)
        categories = [b for t, *b in chart["texts"] if b[2] <= chart["plot"][0]]
        for a, b in itertools.pairwise(categories):  # category labels never overlap
            assert a[3] <= b[1] + 0.5 or b[3] <= a[1] + 0.5 or a[2] <= b[0] or b[2] <= a[0]
    assert HOSTILE in found[2]["title"]
