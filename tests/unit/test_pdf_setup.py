"""PDF conversion's edges that need no LibreOffice: a clear message without it, no stale PDF."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import PARAMS

from toolkit.errors import PdfError, ZongjieError
from toolkit.publish import pdf
from toolkit.report import prepare as report
from toolkit.resources import default_template


@pytest.fixture
def no_libreoffice(monkeypatch):
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    pdf._uno_python.cache_clear()
    yield
    pdf._uno_python.cache_clear()


def test_without_libreoffice_the_message_says_what_to_install(no_libreoffice, tmp_path):
    assert not pdf.available()
    reason = pdf.unavailable_reason()
    assert "LibreOffice" in reason and "libreoffice-writer-nogui" in reason
    docx = tmp_path / "report.docx"
    docx.write_bytes(default_template().read_bytes())
    with pytest.raises(PdfError) as err:
        pdf.convert(docx, tmp_path / "report.pdf")
    assert isinstance(err.value, ZongjieError) and "未找到 LibreOffice" in str(err.value)
    assert not (tmp_path / "report.pdf").exists()


def test_missing_source_is_named(tmp_path):
    with pytest.raises(PdfError, match="找不到要转换的文件"):
        pdf.Converter().convert(tmp_path / "无.docx", tmp_path / "无.pdf")


def test_first_page_of_a_broken_pdf_is_a_pdf_error(tmp_path):
    if pdf.shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils not installed")
    broken = tmp_path / "坏.pdf"
    broken.write_bytes(b"%PDF-1.4 nothing")
    with pytest.raises(PdfError, match=r"坏\.pdf"):
        pdf.first_page_png(broken, tmp_path / "page.png")
    assert not (tmp_path / "page.png").exists()


def test_writing_a_report_removes_the_pdf_of_the_previous_docx(sample_ledgers, tmp_path):
    rep = report.prepare(sample_ledgers, PARAMS, "hedong", 2021, date(2022, 1, 10))
    folder = report.write(rep, tmp_path, default_template())
    (folder / "report.pdf").write_bytes(b"%PDF made from an older report.docx")
    report.write(rep, tmp_path, default_template())
    assert (folder / "report.docx").is_file()
    assert not (folder / "report.pdf").exists()


def _render_args(tmp_path) -> list[str]:
    from conftest import SAMPLE

    return [
        "render",
        "--data",
        str(SAMPLE),
        "--params",
        str(PARAMS),
        "--bureau",
        "hedong",
        "--year",
        "2021",
        "--out",
        str(tmp_path),
        "--pdf",
    ]


def test_render_pdf_without_libreoffice_stops_with_a_message(no_libreoffice, tmp_path, capsys):
    from toolkit.cli import main

    assert main(_render_args(tmp_path)) == 1
    err = capsys.readouterr().err
    assert "未找到 LibreOffice" in err and "Traceback" not in err
    assert not (tmp_path / "2021").exists()  # stopped before any work


def test_render_pdf_failure_keeps_the_docx(monkeypatch, tmp_path, capsys):
    from toolkit.cli import main

    def broken(self, docx, target, timeout=None):
        raise PdfError("LibreOffice 转换失败（测试）。", document=docx.name)

    monkeypatch.setattr(pdf, "require", lambda: None)
    monkeypatch.setattr(pdf.Converter, "convert", broken)
    assert main(_render_args(tmp_path)) == 1
    captured = capsys.readouterr()
    folder = tmp_path / "2021" / "hedong"
    assert f"已生成：{folder / 'report.docx'}" in captured.out
    assert "“report.docx”无法转换为PDF" in captured.err and "Word 报告已生成" in captured.err
    assert (folder / "report.docx").stat().st_size > 10000
    assert not (folder / "report.pdf").exists()


def test_notebook_records_a_failed_pdf_and_the_run_reads_it(monkeypatch, tmp_path):
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    from toolkit.record import RESULT_MIME, NotebookRecord
    from toolkit.ui import notebook

    def broken(docx, converter=None):
        raise PdfError("转换超时（超过120秒），LibreOffice 已重启。", document=docx.name)

    monkeypatch.setattr(pdf, "write_beside", broken)
    InteractiveShell.instance()
    seed = type("Rep", (), {"name": "report"})()
    with capture_output() as captured:
        assert notebook.write_pdf(seed, tmp_path, True) is None
    shown = [o.data for o in captured.outputs]
    assert any("PDF 未生成" in d.get("text/markdown", "") and "Word 报告不受影响" in d["text/markdown"] for d in shown)
    cells = [{"outputs": [{"data": {RESULT_MIME: {"missing": ["甲"], "warnings": []}}}]}]
    cells += [{"outputs": [{"data": d} for d in shown]}]
    record = NotebookRecord.read(cells)
    assert record.missing == ["甲"] and "转换超时" in record.pdf_error
