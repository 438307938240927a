"""The batch's fingerprint: changing any input a report reads reruns that bureau; nothing else does."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from conftest import PARAMS, SAMPLE

from toolkit import inputs
from toolkit.resources import PACKAGE, default_template, notebook
from toolkit.spec import RunSpec

CODES = ["fengling", "hedong", "meiling", "qingshan", "yunshui"]


@pytest.fixture
def world(tmp_path, monkeypatch):
    """Copies of everything a report reads: ledgers, parameters, template, notebooks, code."""
    data, params = tmp_path / "data", tmp_path / "params"
    shutil.copytree(SAMPLE, data)
    shutil.copytree(PARAMS, params)
    template = tmp_path / "report.docx"
    shutil.copy(default_template(), template)
    books = tmp_path / "notebooks"
    books.mkdir()
    for name in ("report.ipynb", "overview.ipynb"):
        shutil.copy(notebook(name), books / name)
    code = tmp_path / "toolkit"
    shutil.copytree(PACKAGE, code, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(inputs, "notebook", lambda name="report.ipynb": books / name)
    monkeypatch.setattr(inputs, "PACKAGE", code)
    spec = RunSpec(data, params, 2021, tmp_path / "out", template=template)
    return {"spec": spec, "data": data, "params": params, "template": template, "books": books, "code": code}


def changed(world, change) -> set[str]:
    before = inputs.fingerprints(world["spec"], CODES)
    change(world)
    after = inputs.fingerprints(world["spec"], CODES)
    return {c for c in CODES if before[c] != after[c]}


def _append(path: Path, text: str = "\n") -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def test_every_input_is_declared(world):
    spec = world["spec"].for_bureau("qingshan")
    declared = {p for find in (*inputs.SHARED.values(), *inputs.OWN.values()) for p in find(spec)}
    assert set(world["data"].rglob("*.xlsx")) | set(world["data"].rglob("*.csv")) <= declared
    assert world["params"] / "bureaus" / "qingshan.yaml" in declared
    assert world["params"] / "overrides" / "qingshan-2021.yaml" in declared
    assert world["template"] in declared
    assert {world["books"] / "report.ipynb", world["books"] / "overview.ipynb"} <= declared
    assert set(world["code"].rglob("*.py")) <= declared


@pytest.mark.parametrize(
    ("what", "change", "expected"),
    [
        ("ledger", lambda w: _append(next(w["data"].rglob("*.csv")), "\n"), set(CODES)),
        ("bureau yaml", lambda w: _append(w["params"] / "bureaus" / "hedong.yaml", "# 改\n"), {"hedong"}),
        (
            "new override",
            lambda w: (
                (w["params"] / "overrides").mkdir(exist_ok=True)
                or (w["params"] / "overrides" / "meiling-2021.yaml").write_text("overrides: {}\n", encoding="utf-8")
            ),
            {"meiling"},
        ),
        (
            "last year's override",
            lambda w: (
                (w["params"] / "overrides").mkdir(exist_ok=True)
                or (w["params"] / "overrides" / "yunshui-2020.yaml").write_text("overrides: {}\n", encoding="utf-8")
            ),
            {"yunshui"},
        ),
        ("template", lambda w: w["template"].write_bytes(w["template"].read_bytes() + b"\0"), set(CODES)),
        ("notebook", lambda w: _append(w["books"] / "report.ipynb"), set(CODES)),
        ("overview notebook", lambda w: _append(w["books"] / "overview.ipynb"), set(CODES)),
        ("code", lambda w: _append(w["code"] / "figures.py", "# 改\n"), set(CODES)),
        ("export template", lambda w: _append(next(w["code"].rglob("*.j2"))), set(CODES)),
    ],
)
def test_changing_an_input_reruns_its_bureaus(world, what, change, expected):
    assert changed(world, change) == expected, what


@pytest.mark.parametrize(
    ("what", "change"),
    [
        ("touch", lambda w: os.utime(next(w["data"].rglob("*.csv")), (1, 1))),
        ("office lock file", lambda w: (w["data"] / "~$台账.xlsx").write_bytes(b"lock")),
        ("outputs", lambda w: (w["spec"].out_dir / "2021" / "hedong").mkdir(parents=True)),
        (
            "another year's override",
            lambda w: (
                (w["params"] / "overrides").mkdir(exist_ok=True)
                or (w["params"] / "overrides" / "hedong-2019.yaml").write_text("overrides: {}\n", encoding="utf-8")
            ),
        ),
    ],
)
def test_what_is_no_input_reruns_nothing(world, what, change):
    assert changed(world, change) == set(), what


def test_options_that_change_a_report_rerun_it(world):
    spec = world["spec"]
    base = inputs.fingerprints(spec, CODES)
    assert inputs.fingerprints(spec.with_(final=True), CODES) != base
    assert inputs.fingerprints(spec.with_(signed_on=date(2022, 1, 10)), CODES) != base
    assert inputs.fingerprints(spec.with_(out_dir=spec.out_dir / "elsewhere"), CODES) == base
