"""Reading a report's Word template: its bytes and the names its tags use, checked once per
version of the file, in the bounded sandbox every template is rendered in."""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

import jinja2
from docxtpl import DocxTemplate

from toolkit.errors import TemplateError
from toolkit.report import sandbox
from toolkit.report.sandbox import BoundedEnvironment


def environment() -> BoundedEnvironment:
    return sandbox.environment()


@lru_cache(maxsize=16)
def _read_template(path: str, mtime_ns: int, size: int) -> tuple[bytes, frozenset[str]]:
    """The template's bytes and the names its tags use (cached per version of the file)."""
    data = Path(path).read_bytes()
    name = Path(path).name
    try:
        names = DocxTemplate(io.BytesIO(data)).get_undeclared_template_variables(environment())
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(name, f"标签语法错误（{exc.message}），请检查“{{{{ }}}}”和“{{% %}}”是否成对") from None
    except Exception as exc:  # not a docx at all
        raise TemplateError(name, f"无法作为Word文档打开（{type(exc).__name__}）") from None
    return data, frozenset(names)


def _template(path: Path) -> tuple[bytes, frozenset[str]]:
    path = Path(path)
    if not path.is_file():
        raise TemplateError(path.name, f"找不到模板文件“{path}”")
    stat = path.stat()
    return _read_template(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


def template_names(path: Path) -> set[str]:
    """The names a template's tags use."""
    return set(_template(path)[1])


def load_template(path: Path, names: frozenset[str] | set[str]) -> bytes:
    """The template's bytes once every tag is one of ``names`` (a report's figures and ``narrative``)."""
    data, used = _template(path)
    unknown = sorted(used - set(names))
    if unknown:
        listed = "、".join(f"{{{{ {u} }}}}" for u in unknown)
        raise TemplateError(Path(path).name, f"有未知的标签 {listed}；可用的标签为：{'、'.join(sorted(names))}")
    return data
