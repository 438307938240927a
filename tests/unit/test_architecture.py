"""Shape of the code: plain figures, no global side effects, a repo that stands alone."""

from __future__ import annotations

import subprocess
from datetime import date

from conftest import PARAMS, ROOT

from toolkit import report
from toolkit.figures import Figure


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


def test_charts_leave_matplotlib_settings_alone(sample_ledgers):
    import matplotlib

    from toolkit import charts

    before = dict(matplotlib.rcParams)
    rep = report.prepare(sample_ledgers, PARAMS, "qingshan", 2022, date(2022, 1, 10))
    assert charts.activities_per_month(rep.scope).startswith(b"\x89PNG")
    assert charts.finance_against_previous(rep.figures, rep.previous).startswith(b"\x89PNG")
    assert dict(matplotlib.rcParams) == before


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
