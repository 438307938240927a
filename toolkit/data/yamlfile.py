"""YAML files people edit by hand, read strictly: duplicate keys are an error, lines are kept.

PyYAML keeps the last of two equal keys without a word; a corrected value typed twice
would then silently lose one. :func:`read_yaml` reports it, with the line, and every
mapping it returns remembers the line of each key (``Mapping.lines``) for messages.
"""

from __future__ import annotations

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
    try:
        text = Path(path).read_text(encoding="utf-8")
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
