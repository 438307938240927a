"""PDF conversion's edges that need no LibreOffice: a clear message without it, no stale PDF."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import PARAMS

from toolkit import pdf, report
from toolkit.errors import PdfError, ZongjieError
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
    with pytest.raises(PdfError, match="坏.pdf"):
        pdf.first_page_png(broken, tmp_path / "page.png")
    assert not (tmp_path / "page.png").exists()


def test_writing_a_report_removes_the_pdf_of_the_previous_docx(sample_ledgers, tmp_path):
    rep = report.prepare(sample_ledgers, PARAMS, "hedong", 2021, date(2022, 1, 10))
    folder = report.write(rep, tmp_path, default_template())
    (folder / "report.pdf").write_bytes(b"%PDF made from an older report.docx")
    report.write(rep, tmp_path, default_template())
    assert (folder / "report.docx").is_file()
    assert not (folder / "report.pdf").exists()
