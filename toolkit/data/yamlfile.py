"""YAML files people edit by hand, read strictly: duplicate keys are an error, lines are kept.

PyYAML keeps the last of two equal keys without a word; a corrected value typed twice
would then silently lose one. :func:`read_yaml` reports it, with the line, and every
mapping it returns remembers the line of each key (``Mapping.lines``) for messages.

A file is read within bounds: at most :data:`MAX_BYTES`, and aliases (``*name``) may
repeat at most :data:`ALIAS_BUDGET` nodes in all. A few anchors reused load as ever; an
alias bomb ("billion laughs": ten aliases of ten aliases of …) is refused before any of
it is built, since everything that later walks the values (messages, digests, a dump)
would walk every repetition. Free text in these files is bounded by :func:`long_text`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from toolkit.data.problems import Problem

#: The largest YAML file read (parameters, corrections, sign-offs, report definitions).
MAX_BYTES = 50 * 1024 * 1024
#: How many nodes aliases may repeat in one file, all aliases together.
ALIAS_BUDGET = 10_000


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

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> object:
        """A date as YAML reads it; a day that does not exist (``2022-02-30``) stays text, for
        the reader of that value to name, where PyYAML would stop with an internal error."""
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


StrictLoader.add_constructor("tag:yaml.org,2002:map", StrictLoader.construct_mapping)
StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", StrictLoader.construct_yaml_timestamp)


class AliasBomb(yaml.YAMLError):  # type: ignore[misc]  # PyYAML has no type information
    """Aliases that would repeat more nodes than :data:`ALIAS_BUDGET`, or refer to themselves."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def check_aliases(root: yaml.Node) -> None:
    """Raise :class:`AliasBomb` when the document, its aliases expanded, holds more than
    :data:`ALIAS_BUDGET` nodes beyond those written, or an alias inside its own anchor.

    The composer shares an alias's node with its anchor, so each node's expanded size is
    counted once, bottom up: a bomb's billions are a sum here, never built.
    """
    size: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            size[key] = 1 + sum(size[id(child)] for child in _children(node))
            active.discard(key)
            if size[key] - len(size) > ALIAS_BUDGET:
                break
            continue
        if key in size:
            continue
        if key in active:
            raise AliasBomb("别名（*）引用了包含它自身的锚点（&）")
        active.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))
    if max(size.values(), default=0) - len(size) > ALIAS_BUDGET:
        raise AliasBomb(f"别名（*）展开后重复的内容超过{ALIAS_BUDGET:,}项")


def _load(text: str) -> object:
    """The document as :class:`StrictLoader` reads it, its aliases checked before it is built."""
    loader = StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_aliases(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def long_text(shown: str, key: str, value: object, limit: int, row: int | None = None) -> Problem | None:
    """A problem when free text under ``key`` is longer than ``limit`` characters, else None."""
    if not isinstance(value, str) or len(value.strip()) <= limit:
        return None
    return Problem(
        shown,
        f"文字过长（{len(value.strip()):,}个字符，上限{limit:,}个字符）",
        row=row,
        column=key,
        value=value[:20] + "…",
        expected=f"不超过{limit:,}个字符的文字",
    )


def read_yaml(path: Path, shown: str) -> tuple[object, list[Problem]]:
    """The file's content, or the problems that stop it being read (in Chinese, with the line)."""
    try:
        size = Path(path).stat().st_size
    except OSError:
        size = 0
    if size > MAX_BYTES:
        return None, [_too_large(shown)]
    return parse_yaml(Path(path).read_bytes(), shown)


def _too_large(shown: str) -> Problem:
    return Problem(shown, f"文件过大（超过{MAX_BYTES // 1024 // 1024} MB）", expected="大小合理的YAML文件")


def parse_yaml(data: bytes, shown: str) -> tuple[object, list[Problem]]:
    """What :func:`read_yaml` gives for a file holding ``data`` (a writer rereads a file it holds locked)."""
    if len(data) > MAX_BYTES:
        return None, [_too_large(shown)]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, [Problem(shown, "文件不是UTF-8编码", expected="UTF-8编码的YAML文件")]
    try:
        return _load(text), []  # StrictLoader is a SafeLoader
    except AliasBomb as exc:
        return None, [Problem(shown, exc.message, expected="少量重复使用的锚点，或把内容直接写出")]
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
