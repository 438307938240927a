"""YAML files people edit by hand, read strictly: duplicate keys are an error, lines are kept.

PyYAML keeps the last of two equal keys without a word; a corrected value typed twice
would then silently lose one. :func:`read_yaml` reports it, with the line, and every
mapping it returns remembers the line of each key (``Mapping.lines``) for messages.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from toolkit.data.problems import Problem


class Mapping(dict[Any, Any]):
    """A YAML mapping that knows the line (1-based) of each of its keys.

    Keys and values are whatever the file holds (any hashable key, any value), as YAML gives them.
    """

    lines: dict[Any, int]

    def line(self, key: object) -> int | None:
        lines: dict[Any, int] = getattr(self, "lines", {})
        return lines.get(key)


class DuplicateKey(yaml.MarkedYAMLError):  # type: ignore[misc]  # PyYAML has no type information
    pass


#: libyaml's parser when PyYAML was built with it (the wheels are), about ten times faster
#: than the pure-Python one: a province reads thousands of parameter files a batch.
_SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StrictLoader(_SafeLoader):  # type: ignore[misc]  # PyYAML has no type information
    """SafeLoader that refuses duplicate keys and records key lines."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Mapping:
        self.flatten_mapping(node)
        out = Mapping()
        out.lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, "found unhashable key", key_node.start_mark
                ) from None
            if key in out:
                raise DuplicateKey(None, None, f"duplicate key {key!r}", key_node.start_mark)
            out[key] = self.construct_object(value_node, deep=deep)
            out.lines[key] = key_node.start_mark.line + 1
        return out


StrictLoader.add_constructor("tag:yaml.org,2002:map", StrictLoader.construct_mapping)


def read_yaml(path: Path, shown: str) -> tuple[object, list[Problem]]:
    """The file's content, or the problems that stop it being read (in Chinese, with the line)."""
    return parse_yaml(Path(path).read_bytes(), shown)


def parse_yaml(data: bytes, shown: str) -> tuple[object, list[Problem]]:
    """What :func:`read_yaml` gives for a file holding ``data`` (a writer rereads a file it holds locked)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, [Problem(shown, "文件不是UTF-8编码", expected="UTF-8编码的YAML文件")]
    try:
        return yaml.load(text, Loader=StrictLoader), []  # StrictLoader is a SafeLoader
    except DuplicateKey as exc:
        mark = exc.problem_mark
        key = str(exc.problem).removeprefix("duplicate key ")
        return None, [
            Problem(
                shown,
                f"键{key}重复出现（后一项会覆盖前一项）",
                row=mark.line + 1 if mark else None,
                expected="每个键只写一次",
            )
        ]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return None, [Problem(shown, "YAML格式错误", row=mark.line + 1 if mark else None, expected="合法的YAML")]


# --- changing one entry of a file people edit by hand ------------------------------------


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _block_end(lines: list[str], start: int) -> int:
    """The line after the entry whose key is on line ``start`` (0-based): its value is what is more indented.

    Blank lines and comments at or left of the key's column that follow the entry are not its own.
    """
    column, end = _indent(lines[start]), start + 1
    for i in range(start + 1, len(lines)):
        if not lines[i].strip():
            continue
        if _indent(lines[i]) <= column:
            break
        end = i + 1
    return end


def _indented(text: str, spaces: int) -> list[str]:
    return [(" " * spaces + line if line.strip() else line) for line in text.splitlines(keepends=True)]


def _key_line(lines: list[str], mapping: Mapping, key: object) -> int | None:
    """The 0-based line where ``key`` of ``mapping`` starts a block entry, None when it is written otherwise."""
    line = mapping.line(key)
    if line is None or not 0 < line <= len(lines):
        return None
    text = lines[line - 1].lstrip(" ")
    if text.startswith(("-", "?", "{", "[")) or ":" not in text:
        return None
    return line - 1


def _inner_edit(
    lines: list[str], data: Mapping, outer: str, inner: object, value: object | None, dump: Callable[[object], str]
) -> list[str] | None:
    """The lines with only ``data[outer][inner]``'s block replaced (None when the layout does not allow it)."""
    block = data.get(outer)
    at = _key_line(lines, data, outer)
    if outer not in data:
        if value is None:
            return lines
        tail = [] if not lines or lines[-1].endswith("\n") else ["\n"]
        return [*lines, *tail, f"{outer}:\n", *_indented(dump({inner: value}), 2)]
    if not isinstance(block, Mapping) or at is None or _indent(lines[at]) != 0 or not block:
        return None
    keys = [k for k in block if str(k) == str(inner)]
    starts = {k: _key_line(lines, block, k) for k in block}
    if len(keys) > 1 or any(s is None or s <= at for s in starts.values()):
        return None
    spaces = _indent(lines[min(s for s in starts.values() if s is not None)])
    if keys:
        start = starts[keys[0]]
        assert start is not None
        new = [] if value is None else _indented(dump({keys[0]: value}), spaces)
        if value is None and len(block) == 1:
            return [*lines[:at], *lines[_block_end(lines, at) :]]  # the last entry: the outer key goes too
        return [*lines[:start], *new, *lines[_block_end(lines, start) :]]
    if value is None:
        return lines
    later = sorted(s for k, s in starts.items() if s is not None and str(k) > str(inner))
    where = later[0] if later else _block_end(lines, at)
    while later and where - 1 > at and lines[where - 1].startswith(" " * spaces + "#"):
        where -= 1  # a comment just above the next entry, in its column, is that entry's
    return [*lines[:where], *_indented(dump({inner: value}), spaces), *lines[where:]]


def _outer_edit(
    lines: list[str], data: Mapping, outer: str, wanted: object | None, dump: Callable[[object], str]
) -> list[str] | None:
    """The lines with the whole ``outer`` entry rewritten (None when it is not a block entry of its own)."""
    at = _key_line(lines, data, outer)
    if at is None or _indent(lines[at]) != 0:
        return None
    new = [] if wanted is None else dump({outer: wanted}).splitlines(keepends=True)
    return [*lines[:at], *new, *lines[_block_end(lines, at) :]]


def with_entry(
    text: str, data: Mapping, outer: str, inner: object, value: object | None, dump: Callable[[object], str]
) -> str:
    """``text`` (a YAML mapping read as ``data``) with ``data[outer][inner]`` set to ``value`` (None: removed).

    Only that entry's lines change: every other key, comment, blank line and the layout of
    the file stay as the hand that wrote them left them. ``dump`` writes a mapping as block
    YAML. The result is read back and must hold exactly the change; where the layout does
    not allow editing one entry (a flow mapping, a key written twice as 2021 and '2021'),
    the ``outer`` entry is rewritten, and as a last resort the whole file (its comments kept
    at the top).
    """
    found = data.get(outer)
    block: dict[Any, Any] = found if isinstance(found, dict) else {}
    key = next((k for k in block if str(k) == str(inner)), inner)
    kept = {k: v for k, v in block.items() if str(k) != str(inner)}
    wanted = dict(sorted({**kept, key: value}.items(), key=lambda kv: str(kv[0]))) if value is not None else kept
    expected = dict(data)
    if wanted:
        expected[outer] = wanted
    else:
        expected.pop(outer, None)
    lines = text.splitlines(keepends=True)
    inner_only = _inner_edit(lines, data, outer, key, value, dump)
    if inner_only is not None and _reads_as("".join(inner_only), expected):
        return "".join(inner_only)
    outer_only = _outer_edit(lines, data, outer, wanted or None, dump)
    if outer_only is not None and _reads_as("".join(outer_only), expected):
        return "".join(outer_only)
    comments = "".join(line for line in lines if line.startswith("#"))
    return comments + dump(expected)


def _reads_as(text: str, expected: dict[Any, Any]) -> bool:
    try:
        return bool(yaml.load(text, Loader=StrictLoader) == expected)
    except yaml.YAMLError:
        return False
