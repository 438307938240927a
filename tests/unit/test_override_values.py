"""Overrides and narratives that must never print None/True/二十亿左右: refused with file, key and value."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from conftest import PARAMS

from toolkit.cli import main
from toolkit.data.problems import ParameterError
from toolkit.report import prepare as report
from toolkit.report.overrides import check_all, overrides_path, save_override


@pytest.fixture
def params(tmp_path):
    target = tmp_path / "parameters"
    shutil.copytree(PARAMS, target)
    return target


def _write(params, text: str, bureau="hedong", year=2021):
    path = overrides_path(params, bureau, year)
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _entry(key: str, new: str) -> str:
    return f"overrides:\n  {key}:\n    new: {new}\n    reason: 以决算数为准\n    by: 张三\n"


def _prepare(ledgers, params, year=2021):
    return report.prepare(ledgers, params, "hedong", year, date(2022, 1, 10))


@pytest.mark.parametrize(
    ("new", "shown"),
    [
        ("", "（空）"),
        ("null", "（空）"),
        ("~", "（空）"),
        ("yes", "True"),
        ("'二十亿左右'", "二十亿左右"),
        ("20.1万元", "20.1万元"),
    ],
)
def test_unusable_new_value_is_refused_naming_file_key_and_value(sample_ledgers, params, new, shown):
    """Defect #8.2: None, True, words and a wrong unit never reach the report."""
    _write(params, _entry("tax_revenue", new))
    with pytest.raises(ParameterError) as err:
        _prepare(sample_ledgers, params)
    message = str(err.value)
    assert "overrides/hedong-2021.yaml" in message and "tax_revenue" in message and "new" in message
    assert f"值为“{shown}”" in message and "亿元" in message  # the expected form names the unit
    assert "None" not in message.split("值为")[0]


def test_unit_matching_the_figure_is_accepted(sample_ledgers, params):
    """Defect #8.2: `20.1亿元` printed `20.1亿元亿元`; now it is the value 20.1亿."""
    _write(params, _entry("tax_revenue", "20.1亿元"))
    figure = _prepare(sample_ledgers, params).figures["tax_revenue"]
    assert (figure.value, figure.text) == (2_010_000_000, "20.1")


def test_save_override_refuses_the_same_values(sample_ledgers, params):
    rep = _prepare(sample_ledgers, params)
    for new in ("", "二十亿左右", "20.1万元", "-3"):
        with pytest.raises(ParameterError, match="tax_revenue"):
            save_override(params, rep.figures, "tax_revenue", new, "原因", "张三")
    with pytest.raises(ParameterError, match="修改人"):
        save_override(params, rep.figures, "tax_revenue", "20.1", "原因", " ")
    assert not overrides_path(params, "hedong", 2021).exists()


def test_entry_not_a_mapping_is_a_named_error(sample_ledgers, params):
    """Defect #8.2: an entry that is not a mapping gave an internal TypeError."""
    _write(params, "overrides:\n  tax_revenue: 20.1\n")
    with pytest.raises(ParameterError) as err:
        _prepare(sample_ledgers, params)
    assert "tax_revenue" in str(err.value) and "第2行" in str(err.value) and "映射" in str(err.value)


def test_duplicate_keys_are_refused_with_the_line(sample_ledgers, params):
    """Defect #8.2: a key written twice silently kept the last."""
    text = _entry("tax_revenue", "20.1") + "  tax_revenue:\n    new: 30\n    reason: 再改\n    by: 李四\n"
    _write(params, text)
    with pytest.raises(ParameterError) as err:
        _prepare(sample_ledgers, params)
    assert "tax_revenue" in str(err.value) and "重复" in str(err.value) and "第6行" in str(err.value)


def test_reason_and_by_are_required(sample_ledgers, params):
    _write(params, "overrides:\n  tax_revenue:\n    new: 20.1\n")
    with pytest.raises(ParameterError) as err:
        _prepare(sample_ledgers, params)
    assert "修改原因" in str(err.value) and "修改人" in str(err.value)


def test_narrative_year_as_plain_text_is_a_named_error(sample_ledgers, params):
    """Defect #8.2: a narrative year given as a plain string gave an internal AttributeError."""
    path = params / "bureaus" / "hedong.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "narrative:\n  2021: 一是问题。\n", encoding="utf-8")
    with pytest.raises(ParameterError) as err:
        _prepare(sample_ledgers, params)
    assert "bureaus/hedong.yaml" in str(err.value) and "narrative.2021" in str(err.value)


def test_validate_reports_every_override_and_narrative_problem(params, capsys):
    from conftest import SAMPLE

    _write(params, _entry("tax_revenue", "yes") + "  drill_count: 3\n  no_such_key:\n    new: 1\n")
    _write(params, _entry("kickoff_date", "'某天'"), year=2022)
    _write(params, "overrides:\n  a: {new: 1, reason: x, by: y}\n  a: {new: 2, reason: x, by: y}\n", "qingshan")
    path = params / "bureaus" / "fengling.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "narrative:\n  2021: 只有一段\n", encoding="utf-8")

    found = check_all(params)
    text = "\n".join(str(p) for p in found)
    for expected in ("tax_revenue", "drill_count", "no_such_key", "kickoff_date", "重复"):
        assert expected in text, expected
    assert main(["validate", "--data", str(SAMPLE), "--params", str(params)]) == 1
    err = capsys.readouterr().err
    for expected in ("tax_revenue", "drill_count", "no_such_key", "kickoff_date", "重复", "narrative.2021"):
        assert expected in err, expected
    assert "Traceback" not in err
