"""Shape of the code: plain figures, no global side effects, a repo that stands alone."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

from conftest import PARAMS, ROOT, SAMPLE

from toolkit.report import prepare as report
from toolkit.report.figures import Figure


def test_figures_are_plain_data_without_word_xml(sample_ledgers):
    assert not hasattr(Figure, "__html__")
    rep = report.prepare(sample_ledgers, PARAMS, "qingshan", 2021, date(2022, 1, 10))
    for figure in rep.figures.values():
        assert "<w:" not in str(figure)


def test_parameter_sources_name_file_relative_to_params_and_key(sample_ledgers):
    rep = report.prepare(sample_ledgers, PARAMS, "qingshan", 2021, date(2022, 1, 10))
    assert [str(s) for s in rep.figures["bureau_name"].sources] == ["bureaus/qingshan.yaml 键“name”"]
    for figure in rep.figures.values():
        for source in figure.sources:
            assert not source.file.startswith("/"), source


def test_charts_need_no_plotting_library_and_depend_on_their_input_alone():
    """A fresh interpreter shows every chart as the notebooks do: nothing loads matplotlib (nor
    any font machinery), and drawing twice gives the same SVG, so no state is kept between reports."""
    script = """
import sys
from pathlib import Path
from IPython.core.interactiveshell import InteractiveShell
from toolkit.ui import charts, notebook
from toolkit.report.prepare import prepare, prepare_all
from toolkit.data.validate import load_ledgers

shell = InteractiveShell.instance()
shown = []
shell.display_pub.publish = lambda data, metadata=None, **kw: shown.append(data)
ledgers = load_ledgers(Path(sys.argv[1]))
rep = prepare(ledgers, Path(sys.argv[2]), "qingshan", 2022)
notebook.show_charts(rep)
notebook.overview_charts(prepare_all(ledgers, Path(sys.argv[2]), 2022, ["qingshan", "hedong"]))
assert [list(d) for d in shown] == [["image/svg+xml"]] * 4, shown
assert shown[0]["image/svg+xml"] == charts.activities_per_month(rep.scope)
assert shown[1]["image/svg+xml"] == charts.finance_against_previous(rep.figures, rep.previous)
print(sorted(m for m in sys.modules if m.split(".")[0] in ("matplotlib", "PIL", "fontTools")))
"""
    done = subprocess.run(
        [sys.executable, "-c", script, str(SAMPLE), str(PARAMS)], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_no_absolute_machine_path_in_the_repo():
    if not (ROOT / ".git").exists():
        return  # an unpacked archive: nothing to grep
    found = subprocess.run(
        ["git", "grep", "-I", "-n", "-E", r"(^|[\"' (])/(work|home|Users|tmp)/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    hits = [line for line in found.stdout.splitlines() if not line.startswith("tests/unit/test_architecture.py")]
    assert hits == []


def test_missing_value_keeps_the_formatting_a_user_gave_the_tag(minimal, tmp_path):
    """The render edge splits the run: the marker is highlighted and keeps the run's own bold."""
    import zipfile

    from conftest import FINANCE, write_csv
    from docx import Document

    from toolkit.data.validate import load_ledgers
    from toolkit.report.render import render_docx
    from toolkit.resources import default_template

    template = tmp_path / "bold.docx"
    with zipfile.ZipFile(default_template()) as zin, zipfile.ZipFile(template, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                xml = data.decode()
                tag = xml.index("{{ tax_revenue }}")
                run = xml.rindex("<w:r>", 0, tag)
                xml = xml[:run] + "<w:r><w:rPr><w:b/></w:rPr>" + xml[run + len("<w:r>") :]
                data = xml.encode()
            zout.writestr(item, data)
    data, params = minimal
    write_csv(data / "财政指标.csv", [r for r in FINANCE if r["指标"] != "税收收入"])
    rep = report.prepare(load_ledgers(data), params, "demo", 2021, date(2022, 1, 10))
    (tmp_path / "out.docx").write_bytes(render_docx(rep.figures, rep.story, template))
    runs = [r for p in Document(str(tmp_path / "out.docx")).paragraphs for r in p.runs if "税收收入" in p.text]
    marker = next(r for r in runs if r.text == "【待补充：税收收入】")
    after = runs[runs.index(marker) + 1]
    assert marker.font.highlight_color is not None and marker.bold
    assert after.text.startswith("亿元") and after.bold and after.font.highlight_color is None
