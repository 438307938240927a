"""The overview notebook with more bureaus than fit side by side: aggregated, a page of bureaus, top charts."""

from __future__ import annotations

import re

from conftest import assert_inline_charts, fictional_bureaus

from toolkit.data.validate import load_ledgers
from toolkit.run.execute import run_overview
from toolkit.run.spec import RunSpec
from toolkit.ui.overview import ATTENTION_PAGE, SIDE_BY_SIDE


def test_overview_of_many_bureaus_is_aggregated(tmp_path):
    n = SIDE_BY_SIDE + 15
    data, params, plan = fictional_bureaus(tmp_path, n, seed=9)
    cache = tmp_path / "ledgers.pkl"
    load_ledgers(data).save(cache)
    spec = RunSpec(data, params, 2023, tmp_path / "out", ledger_cache=cache).resolved()
    result = run_overview(spec)
    assert result.ok, result.error
    page = (spec.year_dir / "overview.html").read_text(encoding="utf-8")
    assert f"{n}个单位" in page and "按数据项汇总" in page
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", page)
    assert not any(p["name"] in headers for p in plan.values())  # no column per bureau
    for label in ("正常", "需核实", "缺失", "已修改", "合计", "最小", "中位数", "最大"):
        assert label in headers
    listed = len(re.findall(r"<tr>\s*<td>b\d{3}-[xyz]</td>", page))
    assert 0 < listed <= ATTENTION_PAGE
    assert_inline_charts(page, ["各单位主要收入指标", "各单位需关注的数据"])
