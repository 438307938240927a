"""An ``argparse`` parser that speaks Chinese and helps with typos.

A subclass, not a patch: argparse's own words are replaced where they are shown (the help
sections, the usage prefix, the error line), mistyped options and commands get a
suggestion ("未知选项 --bureua，是否想输入 --bureau？"), and help text is aligned by display
width, so a Chinese placeholder does not push the descriptions out of line.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import unicodedata
from collections.abc import Sequence
from typing import Any, NoReturn

_LINE = re.compile(r"^( +)(\S(?:\S| (?! ))*)( {2,})(\S.*)$")


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def align(help_text: str) -> str:
    """Re-pad "invocation  description" lines so descriptions start in one column on screen.

    argparse pads by characters; the description column it meant is kept, counted in
    display columns instead. An invocation too wide for it gets its description on the
    next line, as argparse does for long invocations.
    """
    out = []
    for line in help_text.splitlines():
        match = _LINE.match(line)
        if not match or width(line) == len(line):
            out.append(line)
            continue
        indent, invocation, gap, rest = match.groups()
        column = len(indent) + len(invocation) + len(gap)
        used = width(indent + invocation)
        if column - used >= 2:
            out.append(indent + invocation + " " * (column - used) + rest)
        else:
            out += [indent + invocation, " " * column + rest]
    return "\n".join(out) + ("\n" if help_text.endswith("\n") else "")


class ChineseHelpFormatter(argparse.HelpFormatter):
    """Help in Chinese: "用法：" for the usage line."""

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^the following arguments are required: (.*)$"), r"缺少必需的参数：\1"),
    (re.compile(r"^unrecognized arguments: (.*)$"), r"无法识别的参数：\1"),
    (re.compile(r"^one of the arguments (.*) is required$"), r"以下参数必须提供一个：\1"),
    (re.compile(r"^argument (.*?): not allowed with argument (.*)$"), r"参数 \1 不能与 \2 同时使用"),
    (re.compile(r"^argument (.*?): expected one argument$"), r"参数 \1 需要一个值"),
    (re.compile(r"^argument (.*?): expected at least one argument$"), r"参数 \1 至少需要一个值"),
    (re.compile(r"^argument (.*?): ignored explicit argument (.*)$"), r"参数 \1 不接受值 \2"),
    (re.compile(r"^argument (.*?): invalid \w+ value: (.*)$"), r"参数 \1 的值 \2 无效"),
    (re.compile(r"^argument (.*?): invalid choice: (.*?) \(choose from (.*)\)$"), r"参数 \1 的值 \2 无效（可选：\3）"),
    (re.compile(r"^ambiguous option: (.*?) could match (.*)$"), r"选项 \1 不明确，可能是：\2"),
    (re.compile(r"^argument (.*?): (.*)$"), r"参数 \1：\2"),
]


def translate(message: str) -> str:
    """argparse's English error message in Chinese (messages already in Chinese pass through)."""
    for pattern, chinese in _MESSAGES:
        if pattern.match(message):
            return pattern.sub(chinese, message)
    return message


class ChineseArgumentParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` with Chinese help and errors and typo suggestions."""

    def __init__(self, *args: Any, **kwargs: Any):
        add_help = kwargs.pop("add_help", True)
        kwargs.setdefault("formatter_class", ChineseHelpFormatter)
        kwargs["add_help"] = False  # ours, in Chinese, below
        super().__init__(*args, **kwargs)
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"
        self._given: list[str] = []
        if add_help:
            self.add_argument("-h", "--help", action="help", help="显示帮助并退出")

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        self._given = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def format_help(self) -> str:
        return align(super().format_help())

    def format_usage(self) -> str:
        return align(super().format_usage())

    def error(self, message: str) -> NoReturn:
        """Print usage and the problem in Chinese, with "是否想输入" suggestions; exit 2."""
        lines = self._unknown_command(message) or [*self._typos(), translate(message)]
        self.print_usage(sys.stderr)
        self.exit(2, "".join(f"{self.prog}：错误：{line}\n" for line in lines))

    def _options(self) -> list[str]:
        """The long options this parser knows, and those of the subcommand given, if any."""
        known = [o for action in self._actions for o in action.option_strings if o.startswith("--")]
        for command in self._commands().values():
            if command.prog.rsplit(" ", 1)[-1] in self._given:
                known += command._options()
        return known

    def _commands(self) -> dict[str, ChineseArgumentParser]:
        for action in self._actions:
            if not action.option_strings and isinstance(action.choices, dict):
                return dict(action.choices)
        return {}

    def _typos(self) -> list[str]:
        """A line for every option given that this command does not know, with the closest known one."""
        known = self._options()
        if not known:
            return []
        lines = []
        for token in self._given:
            if token == "--":
                break
            if not token.startswith("--"):
                continue
            name = token.split("=", 1)[0]
            if name in known or any(o.startswith(name) for o in known):  # argparse accepts unique prefixes
                continue
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f"，是否想输入 {close[0]}？" if close else f"。可用的选项：{'、'.join(known)}"
            lines.append(f"未知选项 {name}{hint}")
        return lines

    def _unknown_command(self, message: str) -> list[str]:
        """ "未知命令" with the closest command, for a mistyped subcommand."""
        commands = list(self._commands())
        given = next((t for t in self._given if not t.startswith("-")), None)
        if not commands or given is None or given in commands or "invalid choice" not in message:
            return []
        close = difflib.get_close_matches(given, commands, n=1, cutoff=0.5)
        hint = f"，是否想输入 {close[0]}？" if close else "。"
        return [f"未知命令“{given}”{hint}可用的命令：{'、'.join(commands)}"]
