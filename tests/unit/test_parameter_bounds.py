"""Parameter, correction and sign-off files within bounds: alias bombs, huge files, endless text."""

from __future__ import annotations

import io
import shutil
from datetime import date
from pathlib import Path

import pytest
from conftest import PARAMS, SAMPLE
from docx import Document

from toolkit.cli import main
from toolkit.data.params import NAME_LIMIT, NARRATIVE_LIMIT, NOTE_LIMIT, load_bureau, save_narrative
from toolkit.data.problems import ParameterError
from toolkit.data.yamlfile import ALIAS_BUDGET, MAX_BYTES, read_yaml
from toolkit.report import signoff
from toolkit.report.overrides import check_all, overrides_path, save_override
from toolkit.report.prepare import prepare


@pytest.fixture
def params(tmp_path):
    target = tmp_path / "parameters"
    shutil.copytree(PARAMS, target)
    return target


def _bomb(levels: int, width: int) -> str:
    """``levels`` anchors, each a list of ``width`` aliases of the one before: width**levels strings."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


BOMBS = [_bomb(9, 10), _bomb(30, 2), _bomb(4, 200), "a: &a [x, *a]\n"]


@pytest.mark.parametrize("bomb", BOMBS, ids=["laughs", "deep", "wide", "recursive"])
def test_an_alias_bomb_in_a_bureau_file_is_refused_by_name(params, bomb):
    path = params / "bureaus" / "hedong.yaml"
    path.write_text(path.read_text(encoding="utf-8") + bomb, encoding="utf-8")
    with pytest.raises(ParameterError) as err:
        load_bureau(params, "hedong")
    assert "bureaus/hedong.yaml" in str(err.value) and "别名" in str(err.value)


@pytest.mark.parametrize("bomb", BOMBS[:2], ids=["laughs", "deep"])
def test_an_alias_bomb_in_any_yaml_file_is_refused(params, bomb, capsys):
    """Corrections, sign-offs, contract.yaml: every YAML file is read by the same reader."""
    for folder, name in (("overrides", "hedong-2021.yaml"), ("signoffs", "hedong-2021.yaml"), (".", "contract.yaml")):
        (params / folder).mkdir(exist_ok=True)
        (params / folder / name).write_text(f"overrides:\n{bomb}" if folder == "overrides" else bomb, "utf-8")
        data, problems = read_yaml(params / folder / name, name)
        assert data is None and "别名" in str(problems[0]) and name in str(problems[0])
    assert main(["validate", "--data", str(SAMPLE), "--params", str(params)]) == 1
    err = capsys.readouterr().err
    assert "别名" in err and "Traceback" not in err


def test_anchors_reused_within_the_budget_load(tmp_path):
    text = "base: &base {new: '1', reason: 以决算数为准, by: 张三}\n" + "".join(
        f"k{i}: {{<<: *base, at: x}}\nm{i}: *base\n" for i in range(200)
    )
    text += _bomb(3, 10)  # 1,000 strings from a few aliases: well within the budget
    path = tmp_path / "a.yaml"
    path.write_text(text, encoding="utf-8")
    data, problems = read_yaml(path, "a.yaml")
    assert problems == [] and data["k199"]["by"] == "张三" and data["m0"]["reason"] == "以决算数为准"
    assert len(data["l2"]) == 10 and data["l2"][9][9] == ["lol"] * 10


def test_the_alias_budget_is_counted_in_repeated_nodes(tmp_path):
    path = tmp_path / "a.yaml"
    anchor = "a: &a [" + ", ".join(["x"] * 99) + "]\n"  # 100 nodes, repeated by each alias
    fits = ALIAS_BUDGET // 100
    path.write_text(anchor + "b: [" + ", ".join(["*a"] * fits) + "]\n", encoding="utf-8")
    assert read_yaml(path, "a.yaml")[1] == []
    path.write_text(anchor + "b: [" + ", ".join(["*a"] * (fits + 1)) + "]\n", encoding="utf-8")
    assert "别名" in str(read_yaml(path, "a.yaml")[1][0])


def test_a_yaml_file_over_50_mb_is_refused_unread(tmp_path):
    path = tmp_path / "big.yaml"
    with path.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)  # sparse: nothing is written, nothing is read
    data, problems = read_yaml(path, "bureaus/big.yaml")
    assert data is None and "bureaus/big.yaml" in str(problems[0]) and "50 MB" in str(problems[0])


def _bureau(params: Path, extra: str) -> None:
    path = params / "bureaus" / "hedong.yaml"
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")


@pytest.mark.parametrize(
    ("extra", "key", "limit"),
    [
        ("narrative:\n  2021:\n    problems: {}\n", "narrative.2021.problems", NARRATIVE_LIMIT),
        ("narrative:\n  2021:\n    next_steps: {}\n", "narrative.2021.next_steps", NARRATIVE_LIMIT),
    ],
)
def test_a_narrative_over_its_limit_is_refused_naming_file_key_and_limit(params, sample_ledgers, extra, key, limit):
    _bureau(params, extra.format("一" * limit))
    assert load_bureau(params, "hedong").narrative(2021)  # at the limit: read
    _bureau(params, "")
    path = params / "bureaus" / "hedong.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("一" * limit, "一" * (limit + 1)), encoding="utf-8")
    with pytest.raises(ParameterError) as err:
        prepare(sample_ledgers, params, "hedong", 2021)
    message = str(err.value)
    assert "bureaus/hedong.yaml" in message and key in message and f"{limit:,}" in message and "第" in message


@pytest.mark.parametrize("key", ["name", "office_director", "liaison"])
def test_a_name_over_200_characters_is_refused(params, key):
    path = params / "bureaus" / "hedong.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text(
        "\n".join(f"{key}: {'张' * (NAME_LIMIT + 1)}" if line.startswith(f"{key}:") else line for line in lines),
        encoding="utf-8",
    )
    with pytest.raises(ParameterError) as err:
        load_bureau(params, "hedong")
    assert f"“{key}”" in str(err.value) and "200" in str(err.value)


def test_a_16_mb_narrative_is_refused_on_the_command_line(params, tmp_path, capsys):
    _bureau(params, "narrative:\n  2021:\n    problems: " + "一是问题。" * (16 * 1024 * 1024 // 15) + "\n")
    args = ["--data", str(SAMPLE), "--params", str(params), "--bureau", "hedong", "--year", "2021"]
    assert main(["render", *args, "--out", str(tmp_path / "out"), "--date", "2022-01-10"]) == 1
    err = capsys.readouterr().err
    assert "narrative.2021.problems" in err and "20,000" in err and "Traceback" not in err
    assert len(err) < 2000 and not (tmp_path / "out").exists()


@pytest.mark.parametrize(("field", "limit"), [("reason", NOTE_LIMIT), ("by", NAME_LIMIT), ("new", NOTE_LIMIT)])
def test_a_correction_field_over_its_limit_is_refused(params, sample_ledgers, capsys, field, limit):
    entry = {"new": "'开放日问题'", "reason": "以决算数为准", "by": "张三"}
    entry[field] = "字" * (limit + 1)
    path = overrides_path(params, "hedong", 2021)
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        "overrides:\n  open_day_examples:\n" + "".join(f"    {k}: {v}\n" for k, v in entry.items()), encoding="utf-8"
    )
    with pytest.raises(ParameterError) as err:
        prepare(sample_ledgers, params, "hedong", 2021, date(2022, 1, 10))
    message = str(err.value)
    assert "overrides/hedong-2021.yaml" in message and f"open_day_examples.{field}" in message
    assert f"{limit:,}" in message and len(message) < 1000
    assert [p for p in check_all(params) if f"open_day_examples.{field}" in str(p)]


def test_saving_text_over_its_limit_is_refused_and_nothing_written(params, sample_ledgers):
    rep = prepare(sample_ledgers, params, "hedong", 2021)
    too_long = {"reason": "因" * (NOTE_LIMIT + 1), "by": "张" * (NAME_LIMIT + 1), "new": "字" * (NOTE_LIMIT + 1)}
    for field, text in too_long.items():
        given = {"new": "开放日问题", "reason": "以决算数为准", "by": "张三", field: text}
        with pytest.raises(ParameterError, match=f"open_day_examples.{field}"):
            save_override(params, rep.figures, "open_day_examples", given["new"], given["reason"], given["by"])
    assert not overrides_path(params, "hedong", 2021).exists()
    before = (params / "bureaus" / "hedong.yaml").read_bytes()
    with pytest.raises(ParameterError, match="20,000"):
        save_narrative(load_bureau(params, "hedong"), 2021, {"problems": "一" * (NARRATIVE_LIMIT + 1)})
    assert (params / "bureaus" / "hedong.yaml").read_bytes() == before
    with pytest.raises(ParameterError, match="200"):
        signoff.sign(params, rep.figures, "审" * (NAME_LIMIT + 1))
    assert signoff.state(params, rep.figures).status == signoff.PENDING


def test_narratives_at_their_limit_render(tmp_path):
    from conftest import minimal_folder

    from toolkit.data.validate import load_ledgers
    from toolkit.report.render import render_docx
    from toolkit.resources import default_template

    steps = "".join(f"      （{'一二三四五'[i % 5]}）标题。{'字' * 90}\n" for i in range(200))[: NARRATIVE_LIMIT - 10]
    text = f"narrative:\n  2021:\n    problems: |\n      {'一' * NARRATIVE_LIMIT}\n    next_steps: |\n{steps}"
    data, params = minimal_folder(tmp_path, 2021, "signed_on: {2021: 2022-01-10}\n" + text)
    rep = prepare(load_ledgers(data), params, "demo", 2021)
    doc = Document(io.BytesIO(render_docx(rep.figures, rep.story, default_template(), final=True)))
    texts = [p.text for p in doc.paragraphs]
    assert "一" * NARRATIVE_LIMIT in texts  # the whole paragraph, in one piece
    assert sum(t.startswith("（") and t.endswith("字") for t in texts) >= 150
