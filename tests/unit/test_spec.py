"""The run spec: one definition of a run, matching the notebooks' parameters cells; bureau codes
checked before any path is made from them."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import FrozenInstanceError, fields
from datetime import date
from pathlib import Path

import papermill
import pytest
from conftest import PARAMS, SAMPLE

from toolkit import cli
from toolkit.codes import InvalidCodeError
from toolkit.data.params import list_bureaus, load_all, load_bureau
from toolkit.outputs import report_dir
from toolkit.report.overrides import overrides_path
from toolkit.resources import notebook
from toolkit.run.execute import OVERVIEW_PARAMETERS
from toolkit.run.spec import RunSpec, notebook_fields

BAD_CODES = ["..", ".", "../../../../escape/x", "a/b", "/abs", "", "a b", "-lead", "青山", "x\n"]


def test_spec_fields_are_the_report_notebooks_parameters():
    declared = papermill.inspect_notebook(str(notebook()))
    assert set(notebook_fields()) == set(declared)


def test_overview_parameters_are_spec_fields_it_declares():
    declared = papermill.inspect_notebook(str(notebook("overview.ipynb")))
    assert set(declared) == OVERVIEW_PARAMETERS
    assert set(notebook_fields()) >= OVERVIEW_PARAMETERS


def test_spec_from_command_line_options(tmp_path):
    args = cli.parser().parse_args(
        [
            "run",
            "--data",
            "数据",
            "--params",
            "参数",
            "--bureau",
            "qingshan",
            "--year",
            "2021",
            "--out",
            str(tmp_path),
            "--final",
            "--date",
            "2022-01-10",
        ]
    )
    spec = RunSpec.from_options(args)
    assert spec.data_dir == Path("数据").resolve() and spec.params_dir == Path("参数").resolve()
    assert (spec.bureau, spec.year, spec.out_dir, spec.final, spec.signed_on) == (
        "qingshan",
        2021,
        tmp_path.resolve(),
        True,
        date(2022, 1, 10),
    )
    assert spec.folder == tmp_path.resolve() / "2021" / "qingshan"
    with pytest.raises(FrozenInstanceError):
        spec.year = 2022  # type: ignore[misc]


def test_notebook_parameters_are_plain_and_absolute(tmp_path):
    spec = RunSpec(Path("data"), Path("params"), 2021, tmp_path, bureau="hedong")
    values = spec.notebook_parameters()
    assert set(values) == set(notebook_fields())
    assert values["data_dir"] == str(Path("data").resolve()) and Path(values["out_dir"]).is_absolute()
    assert values["template"] == "" and values["signed_on"] == "" and values["ledger_cache"] == ""
    assert values["year"] == 2021 and values["final"] is False
    assert "timeout" not in values and "timeout" in spec.fingerprint_values()
    # every field is either a notebook parameter or declared as not one
    assert all("notebook" in f.metadata and "fingerprint" in f.metadata for f in fields(RunSpec))


@pytest.mark.parametrize("code", BAD_CODES)
def test_bad_bureau_codes_are_refused_before_any_path(code, tmp_path):
    with pytest.raises(InvalidCodeError, match="单位代码"):
        RunSpec(tmp_path, tmp_path, 2021, tmp_path, bureau=code or "..")
    for make in (
        lambda: report_dir(tmp_path, 2021, code),
        lambda: overrides_path(tmp_path, code, 2021),
        lambda: load_bureau(tmp_path, code),
        lambda: RunSpec(tmp_path, tmp_path, 2021, tmp_path).for_bureau(code),
    ):
        with pytest.raises(InvalidCodeError):
            make()
    assert list(tmp_path.iterdir()) == []


def test_parameter_file_with_a_bad_name_is_refused(tmp_path):
    folder = tmp_path / "bureaus"
    folder.mkdir()
    for name in ("..yaml", "a b.yaml", "ok.yaml"):
        (folder / name).write_text("name: 某县财政局\n", encoding="utf-8")
    assert list_bureaus(tmp_path) == ["ok"]
    found, problems = load_all(tmp_path)
    assert list(found) == ["ok"]
    assert sorted(p.value for p in problems) == [".", "a b"]
    assert all("不是合法的单位代码" in p.message for p in problems)


def test_run_with_a_traversal_code_writes_nothing(tmp_path):
    out = tmp_path / "a" / "b" / "out"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "toolkit.cli",
            "run",
            "--data",
            SAMPLE,
            "--params",
            PARAMS,
            "--bureau",
            "../../../escape/x",
            "--year",
            "2021",
            "--out",
            out,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1 and "单位代码" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.rglob("*")) == []  # neither the out folder nor anything beside it
