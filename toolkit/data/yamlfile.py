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
        return None, [Problem(shown, f"文件过大（超过{MAX_BYTES // 1024 // 1024} MB）", expected="大小合理的YAML文件")]
    try:
        text = Path(path).read_text(encoding="utf-8")
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
