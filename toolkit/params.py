"""Bureau parameters: ``<params>/bureaus/<code>.yaml`` (name, people, narrative)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from .errors import NotFoundError, ParameterError, Problem

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
#: Keys the data contract names, with their Chinese label.
KEYS = {"name": "单位全称", "office_director": "办公室主任", "liaison": "联络员"}
NARRATIVE_KEYS = {"problems": "存在的问题", "next_steps": "下一步工作打算"}


@dataclass
class BureauParams:
    code: str
    path: Path
    values: dict = field(default_factory=dict)

    def get(self, key: str) -> str | None:
        value = self.values.get(key)
        return str(value).strip() or None if value is not None else None

    @property
    def name(self) -> str:
        return self.get("name") or self.code

    def narrative(self, year: int) -> dict[str, str]:
        """This year's narrative texts keyed by ``problems`` / ``next_steps``."""
        block = (
            (self.values.get("narrative") or {}).get(year) or (self.values.get("narrative") or {}).get(str(year)) or {}
        )
        return {k: str(v).strip() for k, v in block.items() if k in NARRATIVE_KEYS and v and str(v).strip()}

    def signed_on(self, year: int) -> date | None:
        dates = self.values.get("signed_on") or {}
        value = dates.get(year, dates.get(str(year))) if isinstance(dates, dict) else None
        return value if isinstance(value, date) else None


def bureau_dir(params_dir: Path) -> Path:
    return Path(params_dir) / "bureaus"


def list_bureaus(params_dir: Path) -> list[str]:
    """Codes of every bureau with a parameter file, sorted."""
    folder = bureau_dir(params_dir)
    if not folder.is_dir():
        raise NotFoundError(f"找不到参数目录“{folder}”（应包含每个单位的 <单位代码>.yaml）。")
    return sorted(p.stem for p in folder.glob("*.yaml"))


def _read_yaml(path: Path, shown: str) -> tuple[dict, list[Problem]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except UnicodeDecodeError:
        return {}, [Problem(shown, "文件不是UTF-8编码", expected="UTF-8编码的YAML文件")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return {}, [Problem(shown, "YAML格式错误", row=mark.line + 1 if mark else None, expected="合法的YAML")]
    if not isinstance(data, dict):
        return {}, [Problem(shown, "内容不是“键: 值”的形式", expected="如“name: 某某县财政局”的YAML映射")]
    return data, []


def check_bureau(params: BureauParams, shown: str) -> list[Problem]:
    problems = []
    if not CODE.match(params.code):
        problems.append(
            Problem(
                shown,
                "文件名不是合法的单位代码",
                value=params.code,
                expected="以字母或数字开头、由字母、数字、“-”“_”组成",
            )
        )
    for key in KEYS:
        value = params.values.get(key)
        if value is not None and not isinstance(value, (str, int)):
            problems.append(Problem(shown, f"“{key}”（{KEYS[key]}）应为文字", column=key, value=value))
    if not params.get("name"):
        problems.append(Problem(shown, "缺少单位全称", column="name", expected="如“name: 某某县财政局”"))
    return problems


def load_bureau(params_dir: Path, code: str) -> BureauParams:
    """One bureau's parameters; raise ParameterError naming every problem in the file."""
    path = bureau_dir(params_dir) / f"{code}.yaml"
    if not path.is_file():
        known = "、".join(list_bureaus(params_dir)) or "无"
        raise NotFoundError(f"找不到单位“{code}”的参数文件“{path}”。已有的单位：{known}。")
    shown = path.as_posix()
    values, problems = _read_yaml(path, shown)
    params = BureauParams(code, path, values)
    problems += [] if problems else check_bureau(params, shown)
    if problems:
        raise ParameterError(problems)
    return params


def load_all(params_dir: Path) -> tuple[dict[str, BureauParams], list[Problem]]:
    """Every bureau's parameters, and the problems of those that cannot be used."""
    found, problems = {}, []
    for code in list_bureaus(params_dir):
        try:
            found[code] = load_bureau(params_dir, code)
        except ParameterError as err:
            problems += err.problems
    return found, problems


class _Literal(str):
    """A multi-line string dumped in YAML's readable ``|`` block style."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _Literal, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="|")
)


def save_narrative(params: BureauParams, year: int, texts: dict[str, str]) -> None:
    """Store a year's own narrative (problems / next_steps) in the bureau's parameter file.

    Empty texts remove the entry, so the template's default paragraphs apply again.
    The file's leading comment lines are kept.
    """
    from .outputs import atomic_write

    raw = params.path.read_text(encoding="utf-8")
    comments = "".join(line for line in raw.splitlines(keepends=True) if line.startswith("#"))
    values = dict(params.values)
    narrative = {k: v for k, v in (values.get("narrative") or {}).items() if str(k) != str(year)}
    block = {k: _Literal(v.strip() + "\n") for k, v in texts.items() if k in NARRATIVE_KEYS and v and v.strip()}
    if block:
        narrative[int(year)] = block
    if narrative:
        values["narrative"] = dict(sorted(narrative.items(), key=lambda kv: str(kv[0])))
    else:
        values.pop("narrative", None)
    body = yaml.dump(values, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)
    atomic_write(params.path, (comments + body).encode("utf-8"))
    params.values = values
