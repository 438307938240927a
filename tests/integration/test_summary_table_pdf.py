"""汇总表.pdf through LibreOffice: landscape A4, every bureau and the 合计 on the page, the header on each
page, every header line whole on one line, amounts in the report's 亿元."""

from __future__ import annotations

import os
import subprocess

import pytest
from conftest import PARAMS, fictional_bureaus

from toolkit.data.validate import load_ledgers
from toolkit.outputs import SUMMARY_TABLE_PDF
from toolkit.publish import pdf
from toolkit.publish.pdf import write_beside
from toolkit.publish.summary_definition import load_summary
from toolkit.publish.summary_docx import write_summary_table
from toolkit.publish.summary_layout import header_lines

if not pdf.available():
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"CI needs LibreOffice for the PDF tests: {pdf.unavailable_reason()}")
    pytest.skip(pdf.unavailable_reason() or "", allow_module_level=True)


def _pages(path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [page for page in text.split("\f") if page.strip()]


def _size(path) -> tuple[float, float]:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    line = next(x for x in info.splitlines() if x.startswith("Page size:"))
    width, _, height = line.split(":")[1].split()[:3]
    return float(width), float(height)


def test_sample_table_as_pdf(sample_ledgers, tmp_path):
    docx = write_summary_table(sample_ledgers, PARAMS, 2021, tmp_path)
    path = write_beside(docx)
    assert path == docx.with_name(SUMMARY_TABLE_PDF)
    assert _size(path) == pytest.approx((842, 595), abs=2)  # landscape A4 in points
    [page] = _pages(path)
    for name in ("青山县财政局", "河东县财政局", "枫岭县财政局", "梅岭县财政局", "云水县财政局", "合计", "总收入"):
        assert name in page


def test_long_table_repeats_its_header_on_every_page(tmp_path):
    data, params, _ = fictional_bureaus(tmp_path, 60, seed=4)
    docx = write_summary_table(load_ledgers(data), params, 2023, tmp_path / "out")
    pages = _pages(write_beside(docx))
    assert len(pages) >= 2
    for page in pages:
        assert "单位名称" in page and "大调研问题" in page
    assert "合计" in pages[-1]


def _lines(path) -> list[str]:
    """The text of every line LibreOffice set, as poppler reads it back."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(path), "-"], capture_output=True, check=True).stdout
    ns = "{http://www.w3.org/1999/xhtml}"
    from xml.etree import ElementTree

    return [
        "".join(w.text or "" for w in line.iter(f"{ns}word")) for line in ElementTree.fromstring(xml).iter(f"{ns}line")
    ]


def test_headers_break_only_between_words(sample_ledgers, tmp_path):
    path = write_beside(write_summary_table(sample_ledgers, PARAMS, 2021, tmp_path))
    lines = _lines(path)
    summary = load_summary()
    wanted = [line for column in summary.columns for line in header_lines(column, column.group is not None)]
    assert "开放日" in wanted and "文明交通" in wanted
    for header in wanted:
        assert any(header in line for line in lines), (header, lines[:40])  # set whole, never 开放/日
    assert "单位：次、个、亿元" in lines and any("财政收入（亿元）" in line for line in lines)
    [page] = _pages(path)
    assert "万元" not in page and ".00 " not in page
