"""Reports converted by a real LibreOffice, measured from the PDF: grid, fonts, title, signature, pages.

Lines and their positions come from ``pdftotext -bbox-layout``, fonts per text run from
``pdftohtml -xml`` (both poppler). Without LibreOffice these tests skip, except under CI.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

import pytest
from conftest import ACTIVITIES, FINANCE, PARAMS, PROBLEMS, SAMPLE, write_csv, zongjie

from toolkit.data.validate import load_ledgers
from toolkit.errors import PdfError
from toolkit.publish import pdf
from toolkit.publish.index_page import BUREAU_FILES
from toolkit.record import RESULT_MIME
from toolkit.report import prepare as report
from toolkit.resources import default_template

PT_PER_TWIP = 1 / 20
LEFT, RIGHT_MARGIN, TOP, BOTTOM = 1588 * PT_PER_TWIP, 1474 * PT_PER_TWIP, 2098 * PT_PER_TWIP, 1984 * PT_PER_TWIP
PAGE_W, PAGE_H = 11906 * PT_PER_TWIP, 16838 * PT_PER_TWIP
RIGHT = PAGE_W - RIGHT_MARGIN
PITCH = 579 * PT_PER_TWIP
BODY = 16.0
HEADING = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）)")
CLOSING = "。，、；：？！”’）》」』"
SIGNED = date(2022, 1, 10)

if not pdf.available():
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"CI needs LibreOffice for the PDF tests: {pdf.unavailable_reason()}")
    pytest.skip(pdf.unavailable_reason() or "", allow_module_level=True)


@dataclass
class Line:
    page: int
    x0: float
    x1: float
    y0: float
    y1: float
    text: str


def pdf_lines(path: Path) -> list[list[Line]]:
    """Every text line of every page, top to bottom."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(path), "-"], capture_output=True, check=True).stdout
    ns = "{http://www.w3.org/1999/xhtml}"
    pages = []
    for number, page in enumerate(ElementTree.fromstring(xml).iter(f"{ns}page"), 1):
        lines = [
            Line(
                number,
                float(line.get("xMin")),
                float(line.get("xMax")),
                float(line.get("yMin")),
                float(line.get("yMax")),
                "".join(w.text or "" for w in line.iter(f"{ns}word")),
            )
            for line in page.iter(f"{ns}line")
        ]
        pages.append(sorted(lines, key=lambda line: (round(line.y0), line.x0)))
    return pages


def text_lines(page: list[Line]) -> list[Line]:
    """The lines inside the text block (the page number sits below it)."""
    return [line for line in page if line.y1 <= PAGE_H - BOTTOM + 1]


def footer(page: list[Line]) -> list[Line]:
    return [line for line in page if line.y0 > PAGE_H - BOTTOM]


def fonts_of(path: Path) -> list[tuple[int, str, str]]:
    """(page, font family without subset prefix, text) for every text run."""
    xml = subprocess.run(["pdftohtml", "-xml", "-i", "-stdout", str(path)], capture_output=True, check=True).stdout
    runs, families = [], {}
    for page in ElementTree.fromstring(xml).iter("page"):
        for spec in page.iter("fontspec"):
            families[spec.get("id")] = spec.get("family").split("+", 1)[-1]
        for text in page.iter("text"):
            runs.append((int(page.get("number")), families[text.get("font")], "".join(text.itertext())))
    return runs


def is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F", "A")


def characters(line: Line) -> int:
    """Characters on a line, a closing mark hanging past the right margin not counted."""
    text = line.text
    if line.x1 > RIGHT + 2 and text and text[-1] in CLOSING:
        text = text[:-1]
    return len(text)


@pytest.fixture(scope="module")
def converter():
    with pdf.Converter(timeout=120) as conv:
        yield conv


def _render(ledgers, params, bureau, year, out: Path, **kw) -> Path:
    rep = report.prepare(ledgers, params, bureau, year, SIGNED)
    return report.write(rep, out, default_template(), **kw) / "report.docx"


@pytest.fixture(scope="module")
def unseen(tmp_path_factory):
    """A bureau the template was not tuned on: a long name, its own narrative, a missing indicator."""
    root = tmp_path_factory.mktemp("unseen")
    data, params = root / "data", root / "params"
    write_csv(data / "活动台账.csv", ACTIVITIES)
    write_csv(data / "问题台账.csv", PROBLEMS)
    write_csv(data / "财政指标.csv", [r for r in FINANCE if r["指标"] != "惠农补贴资金"])
    (params / "bureaus").mkdir(parents=True)
    steps = "\n".join(
        f"（{n}）第{n}项工作安排。" + "围绕年度目标任务细化措施，压实责任，按月调度，确保各项工作落地见效。" * times
        for times, n in enumerate("一二三四", 1)
    )
    (params / "bureaus" / "demo.yaml").write_text(
        "name: 内蒙古自治区呼和浩特市赛罕区财政局\noffice_director: 张三\nliaison: 李四\n"
        "narrative:\n  2021:\n    next_steps: |\n" + "".join(f"      {line}\n" for line in steps.splitlines()),
        encoding="utf-8",
    )
    return load_ledgers(data), params, root / "out"


@pytest.fixture(scope="module")
def converted(converter, sample_ledgers, unseen, tmp_path_factory):
    """PDFs of three sample reports and the unseen bureau's draft."""
    out = tmp_path_factory.mktemp("pdf")
    docs = {
        (bureau, year): _render(sample_ledgers, PARAMS, bureau, year, out)
        for bureau, year in [("qingshan", 2021), ("qingshan", 2022), ("hedong", 2022)]
    }
    ledgers, params, unseen_out = unseen
    docs[("demo", 2021)] = _render(ledgers, params, "demo", 2021, unseen_out)
    return {key: converter.convert(docx, docx.with_suffix(".pdf")) for key, docx in docs.items()}


def test_full_body_lines_hold_28_characters(converted):
    for key, path in converted.items():
        counts = []
        for page in pdf_lines(path):
            for line in text_lines(page):
                full = line.x1 > RIGHT - BODY / 2 and abs(line.x0 - LEFT) < 1
                if full and all(is_wide(ch) for ch in line.text):  # digits are half width
                    counts.append(characters(line))
        assert len(counts) > 50, key
        assert set(counts) <= {27, 28}, (key, sorted(set(counts)))
        assert counts.count(28) / len(counts) > 0.9, key


def test_first_lines_are_indented_two_characters(converted):
    lines = [line for page in pdf_lines(converted[("qingshan", 2021)]) for line in text_lines(page)]
    first = [line for line in lines if abs(line.x0 - (LEFT + 2 * BODY)) < 1.5 and line.x1 > RIGHT - BODY / 2]
    assert first
    assert {characters(line) for line in first if all(is_wide(ch) for ch in line.text)} <= {25, 26}


def _kept_break(pages: list[list[Line]], index: int) -> bool:
    """Page ``index`` ends early because what follows is kept together: a heading or the signature."""
    following = text_lines(pages[index + 1])
    return bool(following) and (
        HEADING.match(following[0].text) is not None
        or any(re.fullmatch(r"\d{4}年\d+月\d+日", x.text) for x in following)
    )


def test_pages_hold_22_lines_on_the_grid(converted):
    for key, path in converted.items():
        pages = pdf_lines(path)
        assert 5 <= len(pages) <= 8, key
        for index, page in enumerate(pages[:-1]):
            lines = text_lines(page)
            title = [line for line in lines if line.y1 - line.y0 > 25]  # 22pt, one grid line each
            bottoms = [line.y1 for line in lines if line not in title]
            # Grid slots from the first line to the last, blank lines included (a blank follows the title).
            slots = round((bottoms[-1] - bottoms[0]) / PITCH) + 1 + (len(title) + 1 if title else 0)
            steps = [(b - a) / PITCH for a, b in itertools.pairwise(bottoms)]
            assert all(abs(step - round(step)) < 0.05 for step in steps), (key, steps)
            if slots < 22:
                assert _kept_break(pages, index), (key, index + 1, slots)
            else:
                assert slots == 22, (key, index + 1, slots)


def test_page_numbers_alternate_sides(converted):
    for key, path in converted.items():
        for number, page in enumerate(pdf_lines(path), 1):
            (mark,) = footer(page)
            assert mark.text == f"—{number}—", key
            if number % 2:
                assert mark.x1 > PAGE_W / 2 + 150 and RIGHT - mark.x1 == pytest.approx(14, abs=2), key
            else:
                assert mark.x0 < PAGE_W / 2 - 150 and mark.x0 - LEFT == pytest.approx(14, abs=2), key


def test_title_and_headings_in_their_own_fonts(converted):
    for key, path in converted.items():
        runs = fonts_of(path)
        body = {f for _, f, t in runs if len(t) > 20 and not HEADING.match(t)}
        assert len(body) == 1, (key, body)
        title = {f for page, f, t in runs if page == 1 and "党史学习教育开展情况总结" in t}
        h1 = {f for _, f, t in runs if re.match(r"^[一二三四]、", t)}
        h2 = {f for _, f, t in runs if re.match(r"^（[一二三四]）.{2,15}$", t)}
        assert title and h1 and h2, key
        assert len({*title, *h1, *h2, *body}) == 4, (key, title, h1, h2, body)


def test_title_is_broken_at_a_word_boundary(converted):
    for (bureau, year), path in converted.items():
        first = text_lines(pdf_lines(path)[0])
        title = [line.text for line in first if line.y1 - line.y0 > 25][:2]  # 22pt lines are taller
        if bureau == "demo":
            assert title == ["内蒙古自治区呼和浩特市赛罕区财政局", f"{year}年党史学习教育开展情况总结"]
        else:
            assert title[1] == "党史学习教育开展情况总结" and title[0].endswith(f"财政局{year}年"), title


def test_signature_stays_with_the_last_body_lines(converted):
    for key, path in converted.items():
        pages = pdf_lines(path)
        last = text_lines(pages[-1])
        texts = [line.text for line in last]
        assert re.fullmatch(r"\d{4}年\d+月\d+日", texts[-1]), key
        assert texts[-2].endswith("财政局"), key
        # The line before the bureau's name is body text on the same page, flush with the text block.
        assert len(last) >= 3, key
        before = last[-3]
        assert before.x0 == pytest.approx(LEFT, abs=1) or before.x0 == pytest.approx(LEFT + 2 * BODY, abs=1), key


def _signature(path: Path) -> tuple[Line, Line]:
    """The bureau's name and the date: the last two lines of the last page's text block."""
    *_, name, date = text_lines(pdf_lines(path)[-1])
    assert re.fullmatch(r"\d{4}年\d+月\d+日", date.text), date
    return name, date


def test_signature_follows_gbt9704_7_3_5_2(converted):
    """No seal: the longer of name and date stands 2 characters in from the right; the date starts
    2 characters right of where the name starts (both cases: the sample bureaus' names are shorter
    than their dates, the unseen bureau's is longer)."""
    cases = set()
    for key, path in converted.items():
        name, date = _signature(path)
        longer = date if date.x1 - date.x0 > name.x1 - name.x0 else name
        cases.add("date" if longer is date else "name")
        print(
            f"{key}: name {name.text} x {name.x0:.1f}–{name.x1:.1f}, date {date.text} x {date.x0:.1f}–{date.x1:.1f}; "
            f"right of the longer {RIGHT - longer.x1:.1f} pt, date start − name start {date.x0 - name.x0:.1f} pt"
        )
        assert RIGHT - longer.x1 == pytest.approx(2 * BODY, abs=1.0), key
        assert date.x0 - name.x0 == pytest.approx(2 * BODY, abs=1.0), key
        assert RIGHT - name.x1 >= 2 * BODY - 1.5 and date.x1 <= RIGHT + 0.5, key
    assert cases == {"date", "name"}


def test_missing_value_is_highlighted_in_the_draft(converted, tmp_path):
    from PIL import Image

    path = converted[("demo", 2021)]
    pages = pdf_lines(path)
    page = next(n for n, p in enumerate(pages, 1) if any("【待补" in line.text for line in p))
    png = tmp_path / "page.png"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", str(page), "-l", str(page), "-singlefile", str(path), str(png)[:-4]],
        check=True,
    )
    import numpy as np

    pixels = np.asarray(Image.open(png).convert("RGB")).astype(int)
    red, green, blue = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    yellow = int(((red > 200) & (green > 200) & (blue < 100)).sum())
    assert yellow > 100  # the highlight is visible, not only in the XML


def test_first_page_picture(converted, tmp_path):
    from PIL import Image

    png = pdf.first_page_png(converted[("qingshan", 2021)], tmp_path / "page1.png")
    with Image.open(png) as image:
        width, height = image.size
        assert height / width == pytest.approx(PAGE_H / PAGE_W, rel=0.01)
        assert image.convert("L").getextrema()[0] < 50  # there is dark text on it


def test_failed_conversion_names_the_file_and_the_converter_goes_on(converter, converted, tmp_path):
    broken = tmp_path / "损坏.docx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(PdfError, match=r"损坏\.docx"):
        converter.convert(broken, tmp_path / "损坏.pdf")
    assert not (tmp_path / "损坏.pdf").exists()
    source = converted[("qingshan", 2021)].with_suffix(".docx")
    assert converter.convert(source, tmp_path / "again.pdf").stat().st_size > 10000


def test_timeout_restarts_libreoffice(converted, tmp_path):
    source = converted[("qingshan", 2021)].with_suffix(".docx")
    with pdf.Converter() as conv:
        with pytest.raises(PdfError, match="超时"):
            conv.convert(source, tmp_path / "slow.pdf", timeout=0.01)
        assert not (tmp_path / "slow.pdf").exists()
        assert conv.convert(source, tmp_path / "ok.pdf").is_file()
        assert conv.starts == 2
    assert not conv.running


def test_a_conversion_whose_caller_died_leaves_no_half_written_pdf(converted, tmp_path):
    """The caller (a batch kernel, killed) asked for a PDF and was gone before taking it."""
    source = converted[("qingshan", 2021)].with_suffix(".docx")
    with pdf.Converter() as conv:
        conv.start()
        bridge = conv._bridge
        assert bridge is not None and bridge.stdin is not None
        half = tmp_path / ".report.pdf.k1llme.tmp"  # the name convert() gives its temporary file
        conv._send({"docx": str(source), "pdf": str(half)})  # the request a dying caller sent
        bridge.stdin.close()  # …and its end of the pipe, closed by its death
        assert bridge.wait(timeout=120) == 0
        assert not half.exists() and list(tmp_path.iterdir()) == []


def test_one_shot_conversion(converted, tmp_path):
    source = converted[("hedong", 2022)].with_suffix(".docx")
    out = pdf.convert(source, tmp_path / "一次.pdf")
    assert len(pdf_lines(out)) == len(pdf_lines(converted[("hedong", 2022)]))


# --------------------------------------------------------------------------- --pdf on the command line


def test_render_pdf_writes_the_pdf_beside_the_docx(tmp_path):
    done = zongjie(
        "render",
        "--data",
        SAMPLE,
        "--params",
        PARAMS,
        "--bureau",
        "yunshui",
        "--year",
        2022,
        "--out",
        tmp_path,
        "--pdf",
    )
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "2022" / "yunshui"
    assert f"PDF：{folder / 'report.pdf'}" in done.stdout
    pages = pdf_lines(folder / "report.pdf")
    assert 5 <= len(pages) <= 8
    assert any("云水县财政局" in line.text for line in pages[-1])


def test_batch_pdf_one_converter_per_worker_page_one_in_the_html(tmp_path):
    done = zongjie(
        "batch", "--data", SAMPLE, "--params", PARAMS, "--year", 2021, "--out", tmp_path,
        "--bureau", "qingshan", "--bureau", "meiling", "--jobs", "1", "--pdf",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    year = tmp_path / "2021"
    converters = set()
    for bureau in ("qingshan", "meiling"):
        folder = year / bureau
        assert (folder / "report.pdf").is_file() and (folder / "report.docx").is_file()
        nb = json.loads((folder / "report.ipynb").read_text(encoding="utf-8"))
        records = [
            o["data"][RESULT_MIME]
            for c in nb["cells"]
            for o in c.get("outputs", [])
            if RESULT_MIME in o.get("data", {})
        ]
        converters |= {r["pdf_converter"] for r in records if "pdf_converter" in r}
        page = (folder / "report.html").read_text(encoding="utf-8")
        assert "第一页" in page and "data:image/png;base64," in page
        assert json.loads((folder / "result.json").read_text(encoding="utf-8"))["pdf_error"] == ""
        index = (year / "index.html").read_text(encoding="utf-8")
        rows = json.loads(re.search(r'<script type="application/json" id="rows">(.*?)</script>', index, re.S).group(1))
        (row,) = [r for r in rows if r[0] == bureau]
        assert "report.pdf" in [BUREAU_FILES[i][0] for i in row[7]]  # the index links the PDF
    assert len(converters) == 1  # one worker, one LibreOffice for both bureaus
    table = year / "汇总表.pdf"  # the year's 汇总表 too, linked from the index
    assert table.is_file() and table.stat().st_mtime >= (year / "汇总表.docx").stat().st_mtime
    assert 'href="汇总表.pdf"' in (year / "index.html").read_text(encoding="utf-8")
