"""The command line helps: Chinese help and errors, typo suggestions, --version, aligned help."""

from __future__ import annotations

import argparse
import gettext
import re

import pytest

from toolkit import __version__, cli
from toolkit.cliparser import align, translate, width


def run(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stop:
        cli.parser().parse_args(list(argv))
    out, err = capsys.readouterr()
    return stop.value.code, out, err


def test_mistyped_option_is_named_with_a_suggestion(capsys):
    code, _, err = run(capsys, "run", "--data", "d", "--bureua", "qingshan", "--year", "2021")
    assert code == 2
    assert "未知选项 --bureua，是否想输入 --bureau？" in err
    assert "缺少必需的参数" in err and "Traceback" not in err


def test_mistyped_option_after_a_command_is_found_among_its_options(capsys):
    code, _, err = run(capsys, "batch", "--data", "d", "--year", "2021", "--focre", "--jobz", "2")
    assert code == 2
    assert "未知选项 --focre，是否想输入 --force？" in err and "未知选项 --jobz，是否想输入 --jobs？" in err
    assert "无法识别的参数" in err and "unrecognized" not in err


def test_mistyped_command_gets_the_closest_command(capsys):
    code, _, err = run(capsys, "rendr", "--data", "d")
    assert code == 2
    assert "未知命令“rendr”，是否想输入 render？" in err and "validate" in err
    assert "invalid choice" not in err


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"zongjie {__version__}"


@pytest.mark.parametrize("command", ["render", "validate", "run", "batch"])
def test_help_is_chinese_with_chinese_placeholders_and_aligned(capsys, command):
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    assert out.startswith("用法：") and "显示帮助并退出" in out
    for english in ("usage:", "options:", "show this help", "DATA", "BUREAU", "PARAMS"):
        assert english not in out
    assert "--data 台账目录" in out
    # every description that shares a line with its option starts in one screen column
    columns = set()
    for line in out.splitlines():
        match = re.match(r"^(  \S(?:\S| (?! ))*)( {2,})(\S.*)$", line)
        if match:
            columns.add(width(match.group(1) + match.group(2)))
    assert len(columns) == 1, columns


def test_argparse_itself_is_left_alone():
    assert argparse._ is gettext.gettext
    assert argparse.ArgumentParser().format_usage().startswith("usage:")


def test_errors_already_in_chinese_pass_and_english_ones_are_translated():
    assert translate("the following arguments are required: --data, --year") == "缺少必需的参数：--data, --year"
    assert translate("argument --jobs: expected one argument") == "参数 --jobs 需要一个值"
    assert translate("参数 --year：年度应为四位数字") == "参数 --year：年度应为四位数字"


def test_align_counts_wide_characters():
    # as argparse pads: every description at character column 24
    text = (
        "  --bureau 单位代码" + " " * 9 + "说明甲\n  --final" + " " * 15 + "说明乙\n  --template 模板文件.doc  说明丙\n"
    )
    assert {line.index("说明") for line in text.splitlines()} == {24, 23}
    first, second, third, fourth = align(text).splitlines()
    assert width(first[: first.index("说明甲")]) == width(second[: second.index("说明乙")]) == 24
    assert third == "  --template 模板文件.doc" and fourth.index("说明丙") == 23  # too wide: own line
