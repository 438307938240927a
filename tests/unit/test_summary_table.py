"""The city office's 汇总表: cells against values computed here from the ledger rows, 合计, layout."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
import yaml
from conftest import PARAMS, REVENUE, ROOT, TO_YUAN, fictional_bureaus
from docx import Document
from docx.oxml.ns import qn

from toolkit.data.validate import load_ledgers
from toolkit.errors import MissingValuesError, TemplateError
from toolkit.outputs import SUMMARY_TABLE_DOCX as DOCX_NAME
from toolkit.outputs import SUMMARY_TABLE_JSON as JSON_NAME
from toolkit.publish.summary_docx import write_summary_table

TEMPLATE_DIR = ROOT / "templates" / "summary_table"
KINDS = ["宣讲", "参观学习", "文明交通志愿服务", "入户走访", "演练", "开放日"]


YI = Decimal(100_000_000)


def yi(yuan: Decimal) -> Decimal:
    """An amount in 亿元 as the report rounds it: half-up to two decimals."""
    return (yuan / YI).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def yi_column(amounts: list[Decimal | None]) -> list[str]:
    """A column of amounts in 亿元, every row with the decimals the most precise one needs (at most 2)."""
    rounded = [None if a is None else yi(a) for a in amounts]
    places = max((len(format(r.normalize(), "f").partition(".")[2]) for r in rounded if r is not None), default=0)
    step = Decimal(1).scaleb(-places)
    return ["【待补充】" if r is None else str(r.quantize(step, rounding=ROUND_HALF_UP)) for r in rounded]


def expected_rows(ledgers, params_dir: Path, year: int) -> dict[str, list[str]]:
    """Each bureau's row as the table must print it, counted here from the ledger rows."""
    out, amounts = {}, {}
    for path in sorted((params_dir / "bureaus").glob("*.yaml")):
        code = path.stem
        name = yaml.safe_load(path.read_text(encoding="utf-8"))["name"]
        acts = [r for r in ledgers.activities.to_dict("records") if r["bureau"] == code and r["date"].year == year]
        probs = [
            r
            for r in ledgers.problems.to_dict("records")
            if r["bureau"] == code and r["raised_on"].year == year and r["source"] == "大调研"
        ]
        fin = {
            r["indicator"]: r["value"] * TO_YUAN[r["unit"]]
            for r in ledgers.finance.to_dict("records")
            if r["bureau"] == code and r["year"] == year and r["indicator"] in REVENUE
        }
        row = [name]
        row += [str(sum(r["kind"] == k for r in acts)) for k in KINDS]
        row.append(str(sum(r["kind"] not in KINDS for r in acts)))
        row += [str(len(probs)), *(str(sum(r["status"] == s for r in probs)) for s in ("已解决", "长期坚持"))]
        out[code] = row
        amounts[code] = [fin.get(i) for i in REVENUE]
    columns = [yi_column([amounts[code][i] for code in out]) for i in range(len(REVENUE))]
    for n, code in enumerate(out):
        out[code] += [column[n] for column in columns]
    return out


def table_rows(path: Path) -> list[list[str]]:
    """The body rows of the docx table (after the two header rows), cells as text."""
    table = Document(str(path)).tables[0]
    rows = []
    for tr in table.rows[2:]:
        cells = [c.text for c in tr.cells]
        rows.append(cells)
    return rows


@pytest.mark.parametrize("year", [2021, 2022])
def test_sample_table_cell_by_cell(sample_ledgers, tmp_path, year):
    path = write_summary_table(sample_ledgers, PARAMS, year, tmp_path)
    assert path == tmp_path / str(year) / DOCX_NAME
    expected = expected_rows(sample_ledgers, PARAMS, year)
    rows = table_rows(path)
    assert len(rows) == len(expected) + 1
    for n, (cells, (code, want)) in enumerate(zip(rows, expected.items()), start=1):
        assert cells[0] == str(n)
        assert cells[1:] == want, code
    total = rows[-1]
    assert total[0] == total[1] == "合计"
    for column in range(2, 2 + len(KINDS) + 4):
        assert int(total[column]) == sum(int(r[column - 1]) for r in expected.values())
    notes = " ".join(p.text for p in Document(str(path)).paragraphs if p.text.startswith("注："))
    for i, name in enumerate(REVENUE):
        column = 2 + len(KINDS) + 4 + i
        shown = sum(Decimal(r[column - 1]) for r in expected.values())
        assert total[column] == str(shown)  # the printed column adds up
        exact = yi(
            sum(
                r["value"] * TO_YUAN[r["unit"]]
                for r in sample_ledgers.finance.to_dict("records")
                if r["year"] == year and r["indicator"] == name
            )
        ).quantize(Decimal(1).scaleb(-len(total[column].partition(".")[2])), rounding=ROUND_HALF_UP)
        assert (f"{name}合计为{exact}亿元" in notes) == (str(exact) != total[column])


def test_a_new_table_removes_the_pdf_of_the_old_one(sample_ledgers, tmp_path):
    stale = tmp_path / "2021" / "汇总表.pdf"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"%PDF old")
    write_summary_table(sample_ledgers, PARAMS, 2021, tmp_path)
    assert not stale.exists()


def test_json_traces_every_cell_to_its_ledger_rows(sample_ledgers, tmp_path):
    write_summary_table(sample_ledgers, PARAMS, 2021, tmp_path)
    data = json.loads((tmp_path / "2021" / JSON_NAME).read_text(encoding="utf-8"))
    activities = {(r["_file"], r["_sheet"], r["_row"]): r for r in sample_ledgers.activities.to_dict("records")}
    finance = {(r["_file"], r["_sheet"], r["_row"]): r for r in sample_ledgers.finance.to_dict("records")}
    for row in data["rows"]:
        lecture = row["cells"]["lecture"]
        cited = [(s["file"], s["sheet"], n) for s in lecture["sources"] for n in s["rows"]]
        assert len(cited) == lecture["value"] > 0
        for key in cited:
            r = activities[key]
            assert (r["bureau"], r["kind"], r["date"].year) == (row["bureau"], "宣讲", 2021)
        revenue = row["cells"]["fiscal_revenue"]
        [source] = revenue["sources"]
        r = finance[(source["file"], source["sheet"], source["rows"][0])]
        assert (r["bureau"], r["indicator"], r["year"]) == (row["bureau"], "财政总收入", 2021)
        assert Decimal(revenue["text"]) == yi(r["value"] * TO_YUAN[r["unit"]])  # 亿元, as the report
    total = data["total"]["lecture"]
    assert total["value"] == sum(row["cells"]["lecture"]["value"] for row in data["rows"])
    assert sum(len(s["rows"]) for s in total["sources"]) == total["value"]


def test_fictional_bureaus_rows_and_total_add_up(tmp_path):
    data, params, plan = fictional_bureaus(tmp_path, 23, seed=7)
    path = write_summary_table(load_ledgers(data), params, 2023, tmp_path / "out")
    rows = table_rows(path)
    assert len(rows) == len(plan) + 1
    revenue = [yi_column([want["amounts"][i] for _, want in sorted(plan.items())]) for i in range(3)]
    for n, (cells, (code, want)) in enumerate(zip(rows, sorted(plan.items()))):
        assert cells[1] == want["name"]
        assert [int(c) for c in cells[2:12]] == want["counts"] + want["survey"], code
        assert cells[12:] == [column[n] for column in revenue]
    total = rows[-1]
    body = rows[:-1]
    for column in range(2, 12):
        assert int(total[column]) == sum(int(r[column]) for r in body)
    notes = " ".join(p.text for p in Document(str(path)).paragraphs if p.text.startswith("注："))
    for i, column in enumerate(range(12, 15)):
        shown = sum(Decimal(r[column]) for r in body)
        assert Decimal(total[column]) == shown  # the printed column adds up
        assert len({len(r[column].partition(".")[2]) for r in rows}) == 1  # one number of decimals, 合计 too
        exact = str(yi(sum(p["amounts"][i] for p in plan.values())))
        assert abs(Decimal(exact) - shown) <= Decimal("0.005") * len(body)
        assert (f"{REVENUE[i]}合计为{exact}亿元" in notes) == (exact != total[column])


def test_missing_values_marked_in_draft_and_refused_in_final(tmp_path):
    data, params, plan = fictional_bureaus(tmp_path, 3, seed=3)
    finance = (data / "财政指标.csv").read_text(encoding="utf-8").splitlines()
    first = sorted(plan)[0]
    kept = [line for line in finance if not (line.startswith(first + ",") and ",税收收入," in line)]
    (data / "财政指标.csv").write_text("\n".join(kept) + "\n", encoding="utf-8")
    (params / "bureaus" / "nodata.yaml").write_text("name: 无台账区财政局\n", encoding="utf-8")
    ledgers = load_ledgers(data)

    path = write_summary_table(ledgers, params, 2023, tmp_path / "out")
    rows = table_rows(path)
    by_name = {r[1]: r for r in rows}
    lacking = by_name[plan[first]["name"]]
    assert lacking[13] == "【待补充】"
    assert Decimal(lacking[12]) == yi(plan[first]["amounts"][0])
    assert set(by_name["无台账区财政局"][2:]) == {"【待补充】"}
    assert rows[-1][13] == "【待补充】"  # a total over a missing cell is not a total
    assert rows[-1][2] == "【待补充】"  # so is a count over a bureau without data
    xml = Document(str(path)).tables[0]._tbl.xml
    assert xml.count('w:highlight w:val="yellow"') == sum(c == "【待补充】" for r in rows for c in r)
    data_json = json.loads((path.parent / JSON_NAME).read_text(encoding="utf-8"))
    assert any("税收收入" in m and "没有2023年" in m for m in data_json["missing"])
    assert any("无台账区财政局" in m for m in data_json["missing"])
    assert any("【待补充】" in p.text for p in Document(str(path)).paragraphs)

    final_out = tmp_path / "final"
    with pytest.raises(MissingValuesError) as err:
        write_summary_table(ledgers, params, 2023, final_out, final=True)
    message = str(err.value)
    assert "汇总表" in message and "税收收入" in message and "无台账区财政局" in message
    assert not final_out.exists()


def test_final_table_without_missing_values_is_written(sample_ledgers, tmp_path):
    path = write_summary_table(sample_ledgers, PARAMS, 2021, tmp_path, final=True)
    text = "".join(c.text for r in Document(str(path)).tables[0].rows for c in r.cells)
    assert "待补充" not in text


def test_layout_follows_gbt9704_attachment_table(sample_ledgers, tmp_path):
    doc = Document(str(write_summary_table(sample_ledgers, PARAMS, 2021, tmp_path)))
    section = doc.sections[0]
    assert section.page_width > section.page_height  # landscape A4
    assert (section.page_width.mm, section.page_height.mm) == pytest.approx((297, 210), abs=0.5)
    assert doc.paragraphs[0].text == "附件"
    assert doc.paragraphs[1].text == "2021年各单位党史学习教育工作情况汇总表"
    styles = {s.style_id: s for s in doc.styles}

    def east_asia(style_id: str) -> str:
        return styles[style_id].element.rPr.rFonts.get(qn("w:eastAsia"))

    assert east_asia("ZJAttachment") == "黑体" and east_asia("ZJTitle") == "方正小标宋简体"
    table = doc.tables[0]
    header_rows = table.rows[:2]
    for tr in header_rows:
        assert tr._tr.trPr.find(qn("w:tblHeader")) is not None  # repeated on every page
        for cell in tr.cells:
            assert all(east_asia(p.style.style_id) == "黑体" for p in cell.paragraphs)
    for tr in table.rows[2:]:
        assert tr._tr.trPr.find(qn("w:tblHeader")) is None
    first = table.rows[2]
    assert east_asia(first.cells[1].paragraphs[0].style.style_id) == "仿宋_GB2312"
    for cell in first.cells[2:]:
        style = styles[cell.paragraphs[0].style.style_id]
        assert style.element.pPr.find(qn("w:jc")).get(qn("w:val")) == "right"
        assert east_asia(style.style_id) == "仿宋_GB2312"


def test_table_runs_across_pages_with_header_repeated(tmp_path):
    data, params, _plan = fictional_bureaus(tmp_path, 60, seed=11)
    path = write_summary_table(load_ledgers(data), params, 2023, tmp_path / "out")
    assert len(table_rows(path)) == 61
    table = Document(str(path)).tables[0]
    assert sum(tr._tr.trPr.find(qn("w:tblHeader")) is not None for tr in table.rows) == 2


def test_template_is_built_from_its_source(monkeypatch):
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("summary_table_build", TEMPLATE_DIR / "build.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    assert module.build_bytes() == (TEMPLATE_DIR / "template.docx").read_bytes()


def test_unknown_tag_in_template_is_named(sample_ledgers, tmp_path):
    import zipfile

    source = TEMPLATE_DIR / "template.docx"
    edited = tmp_path / "edited.docx"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(edited, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace("附件".encode(), "附件{{ unknown_tag }}".encode())
            dst.writestr(item, data)
    with pytest.raises(TemplateError, match="unknown_tag"):
        write_summary_table(sample_ledgers, PARAMS, 2021, tmp_path / "out", template=edited)
    assert not (tmp_path / "out").exists()


def test_bureau_with_broken_rows_says_why_its_row_is_empty(tmp_path):
    data, params, plan = fictional_bureaus(tmp_path, 3, seed=8)
    first = sorted(plan)[0]
    reason = f"台账中本单位的数据有2处问题，见{first}/问题清单.xlsx"
    path = write_summary_table(load_ledgers(data), params, 2023, tmp_path / "out", broken={first: reason})
    rows = table_rows(path)
    assert set(rows[0][2:]) == {"【待补充】"} and rows[-1][2] == "【待补充】"
    assert Decimal(rows[1][12]) == yi(plan[sorted(plan)[1]]["amounts"][0])
    table = json.loads((path.parent / JSON_NAME).read_text(encoding="utf-8"))
    assert table["rows"][0]["cells"]["lecture"]["missing"] == reason


def _params_copy(tmp_path: Path) -> Path:
    params = tmp_path / "params"
    (params / "bureaus").mkdir(parents=True)
    for path in (PARAMS / "bureaus").glob("*.yaml"):
        (params / "bureaus" / path.name).write_bytes(path.read_bytes())
    return params


def test_a_saved_correction_reaches_the_table_as_in_the_report(sample_ledgers, tmp_path):
    """The report and the 汇总表 never disagree: a correction of 财政总收入 and of a count
    changes the bureau's cells, is marked in the JSON, and the 合计 adds up with it."""
    params = _params_copy(tmp_path)
    (params / "overrides").mkdir()
    entries = {
        "fiscal_revenue": {"label": "财政总收入", "new": "30.25", "reason": "以决算数为准", "by": "王芳"},
        "survey_collected": {"label": "大调研收集问题数", "new": "99", "reason": "补录", "by": "王芳"},
    }
    (params / "overrides" / "qingshan-2021.yaml").write_text(
        yaml.safe_dump({"overrides": entries}, allow_unicode=True), "utf-8"
    )
    path = write_summary_table(sample_ledgers, params, 2021, tmp_path / "out")
    header = ["序号", "单位", *KINDS, "其他活动", "收集", "已解决", "长期坚持", *REVENUE]
    rows = {r[1]: r for r in table_rows(path)}
    name = yaml.safe_load((params / "bureaus" / "qingshan.yaml").read_text(encoding="utf-8"))["name"]
    row = rows[name]
    assert row[header.index("财政总收入")] == "30.25"  # 亿元, as the report and the correction
    assert row[header.index("收集")] == "99"
    expected = expected_rows(sample_ledgers, params, 2021)
    others = [r for code, r in expected.items() if code != "qingshan"]
    column = header.index("财政总收入")
    assert Decimal(rows["合计"][column]) == Decimal("30.25") + sum(Decimal(r[column - 1]) for r in others)
    cells = json.loads((tmp_path / "out" / "2021" / JSON_NAME).read_text(encoding="utf-8"))
    qingshan = next(r for r in cells["rows"] if r["bureau"] == "qingshan")["cells"]
    assert qingshan["fiscal_revenue"]["status"] == "overridden"
    assert qingshan["tax_revenue"]["status"] != "overridden"


def test_an_unreadable_correction_leaves_the_cells_missing_not_the_ledger_value(sample_ledgers, tmp_path):
    params = _params_copy(tmp_path)
    (params / "overrides").mkdir()
    entry = {"fiscal_revenue": {"label": "财政总收入", "new": "二十亿左右", "reason": "估计", "by": "王芳"}}
    (params / "overrides" / "qingshan-2021.yaml").write_text(
        yaml.safe_dump({"overrides": entry}, allow_unicode=True), "utf-8"
    )
    with pytest.raises(MissingValuesError) as refused:
        write_summary_table(sample_ledgers, params, 2021, tmp_path / "out", final=True)
    assert "修改记录有误" in str(refused.value) and "二十亿左右" in str(refused.value)
    draft = write_summary_table(sample_ledgers, params, 2021, tmp_path / "out")
    name = yaml.safe_load((params / "bureaus" / "qingshan.yaml").read_text(encoding="utf-8"))["name"]
    row = next(r for r in table_rows(draft) if r[1] == name)
    assert "【待补充】" in row[-3]


def test_a_final_table_refuses_a_cell_summed_over_blank_ledger_cells(minimal, tmp_path):
    import shutil

    from conftest import ACTIVITIES, write_csv

    data, params = minimal
    folder = tmp_path / "visitors"
    shutil.copytree(ROOT / "templates" / "report", folder)
    (folder / "summary.yaml").write_text(
        "title: 开放日汇总表\ncolumns:\n  - {figure: open_day_visitors, header: 开放日人数, unit: 人}\n",
        encoding="utf-8",
    )
    blank = {"单位代码": "demo", "日期": "2021-08-01", "活动类型": "开放日", "人数": ""}
    write_csv(data / "活动台账.csv", [*ACTIVITIES, blank])
    ledgers = load_ledgers(data)
    draft = write_summary_table(ledgers, params, 2021, tmp_path / "draft", report=str(folder))
    assert "30" in [c for r in table_rows(draft) for c in r]  # written from the filled rows in a draft
    with pytest.raises(MissingValuesError) as err:
        write_summary_table(ledgers, params, 2021, tmp_path / "final", final=True, report=str(folder))
    message = str(err.value)
    assert "开放日接待人数" in message and f"第{len(ACTIVITIES) + 2}行" in message and "需核实" in message
    assert err.value.bureaus == {"demo"} and not (tmp_path / "final").exists()
