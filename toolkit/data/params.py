"""Bureau parameters: ``<params>/bureaus/<code>.yaml`` (name, people, narrative)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from toolkit.codes import CODE, CODE_RULE, check_code
from toolkit.data.dates import DATE_FORMS, UnreadableDate, read_date
from toolkit.data.problems import ParameterError, Problem
from toolkit.data.yamlfile import Mapping, long_text, read_yaml
from toolkit.errors import NotFoundError, ZongjieError
from toolkit.outputs import atomic_write

#: Keys the data contract names, with their Chinese label.
KEYS = {"name": "单位全称", "office_director": "办公室主任", "liaison": "联络员"}
NARRATIVE_KEYS = {"problems": "存在的问题", "next_steps": "下一步工作打算"}

#: Longest free text, in characters: a name (a bureau, a person, who corrected or signed) …
NAME_LIMIT = 200
#: … a narrative's paragraphs under one key (``problems`` or ``next_steps``) of one year …
NARRATIVE_LIMIT = 20_000
#: … and a correction's reason or corrected value.
NOTE_LIMIT = 2_000


@dataclass
class BureauParams:
    code: str
    path: Path
    values: dict[str, Any] = field(default_factory=dict)  # the parameter file as YAML gives it

    def get(self, key: str) -> str | None:
        value = self.values.get(key)
        return str(value).strip() or None if value is not None else None

    @property
    def name(self) -> str:
        return self.get("name") or self.code

    def narrative(self, year: int) -> dict[str, str]:
        """This year's narrative texts keyed by ``problems`` / ``next_steps`` (see :func:`check_bureau`)."""
        years = self.values.get("narrative") or {}
        block = (years.get(year) or years.get(str(year)) or {}) if isinstance(years, dict) else {}
        if not isinstance(block, dict):
            return {}
        return {k: str(v).strip() for k, v in block.items() if k in NARRATIVE_KEYS and v and str(v).strip()}

    def signed_on(self, year: int) -> date | None:
        """The signature date the file gives for ``year``: its entry for the year, or the one
        date given for every year; None when it gives none (see :func:`_signed_on_problems`)."""
        value = self._signed_on_value(year)
        try:
            return read_date(value)
        except UnreadableDate:
            return None  # refused when the file was loaded

    def _signed_on_value(self, year: int) -> object:
        given = self.values.get("signed_on")
        if isinstance(given, dict):
            return given.get(year, given.get(str(year)))
        return given

    def signed_on_problems(self, year: int) -> list[Problem]:
        """The file's signature date for ``year`` when it falls outside the year's window
        (:func:`signature_window`), naming file, key, line and value; [] otherwise."""
        day = self.signed_on(year)
        if day is None or not (reason := out_of_window(day, year)):
            return []
        given = self.values.get("signed_on")
        key, line = "signed_on", _line(self.values, "signed_on")
        if isinstance(given, dict):
            entry = year if year in given else str(year)
            key, line = f"signed_on.{year}", _line(given, entry) or line
        shown = f"{bureau_dir(Path()).name}/{self.path.name}"
        return [Problem(shown, reason, row=line, column=key, value=day.isoformat(), expected=_window_text(year))]


def signature_window(year: int) -> tuple[date, date]:
    """The days a report of ``year`` may be signed on: from the year's first day to a year after its end."""
    return date(year, 1, 1), date(year + 1, 12, 31)


def _window_text(year: int) -> str:
    first, last = signature_window(year)
    return f"{first.year}年{first.month}月{first.day}日至{last.year}年{last.month}月{last.day}日之间的日期"


def out_of_window(day: date, year: int) -> str:
    """Why ``day`` cannot sign a report of ``year`` ("" when it can)."""
    first, last = signature_window(year)
    if day < first:
        return f"落款日期早于{year}年报告所属年度"
    if day > last:
        return f"落款日期晚于{year}年结束一年以上"
    return ""


def check_signature_date(day: date, year: int) -> None:
    """Refuse a signature date given for a run (``--date``) that cannot sign a report of ``year``."""
    if reason := out_of_window(day, year):
        raise ZongjieError(f"{reason}：收到“{day.isoformat()}”，应为{_window_text(year)}。")


def default_signature(year: int, today: date) -> date | None:
    """The signature date when none is given: ``today`` while the year runs or ended at most
    three months ago (until 31 March of the next year); None after that, when today's date
    would surely be wrong and the date is missing instead."""
    return today if today <= date(year + 1, 3, 31) else None


def bureau_dir(params_dir: Path) -> Path:
    return Path(params_dir) / "bureaus"


def bureau_file(params_dir: Path, code: str) -> Path:
    """``<params>/bureaus/<code>.yaml``; the code is checked before the path is made."""
    return bureau_dir(params_dir) / f"{check_code(code)}.yaml"


def list_bureaus(params_dir: Path) -> list[str]:
    """Codes of every bureau with a parameter file, sorted; a file whose name is no valid
    code (``..yaml``, ``a b.yaml``) is left out here and reported by :func:`load_all`."""
    return sorted(p.stem for p in _yaml_files(params_dir) if CODE.fullmatch(p.stem))


def _yaml_files(params_dir: Path) -> list[Path]:
    folder = bureau_dir(params_dir)
    if not folder.is_dir():
        raise NotFoundError(f"找不到参数目录“{folder}”（应包含每个单位的 <单位代码>.yaml）。")
    return sorted(folder.glob("*.yaml"))


def _read_yaml(path: Path, shown: str) -> tuple[dict[str, Any], list[Problem]]:
    data, problems = read_yaml(path, shown)
    if problems:
        return {}, problems
    if data is None:
        return {}, []
    if not isinstance(data, dict):
        return {}, [Problem(shown, "内容不是“键: 值”的形式", expected="如“name: 某某县财政局”的YAML映射")]
    return data, []


def check_bureau(params: BureauParams, shown: str) -> list[Problem]:
    problems = []
    if not CODE.fullmatch(params.code):
        problems.append(Problem(shown, "文件名不是合法的单位代码", value=params.code, expected=CODE_RULE))
    for key in KEYS:
        value = params.values.get(key)
        if value is not None and not isinstance(value, (str, int)):
            problems.append(Problem(shown, f"“{key}”（{KEYS[key]}）应为文字", column=key, value=value))
        elif too_long := long_text(shown, key, value, NAME_LIMIT, _line(params.values, key)):
            problems.append(too_long)
    problems += _narrative_problems(params.values.get("narrative"), shown)
    problems += _signed_on_problems(params.values, shown)
    if not params.get("name"):
        problems.append(Problem(shown, "缺少单位全称", column="name", expected="如“name: 某某县财政局”"))
    return problems


def _narrative_problems(narrative: object, shown: str) -> list[Problem]:
    """``narrative`` maps years to ``{problems: 文字, next_steps: 文字}``; name every entry that does not."""
    if narrative is None:
        return []
    expected = "“narrative:”下按年度写“problems:”和/或“next_steps:”两段文字"
    if not isinstance(narrative, dict):
        return [Problem(shown, "“narrative”（本单位段落）格式不对", column="narrative", expected=expected)]
    problems = []
    for year, block in narrative.items():
        where = f"narrative.{year}"
        if not re.fullmatch(r"\d{4}", str(year)):
            problems.append(Problem(shown, "本单位段落的年度不是四位数字", column=where, value=year, expected=expected))
        if not isinstance(block, dict):
            problems.append(
                Problem(shown, f"{year}年的本单位段落应分为“problems”“next_steps”", column=where, expected=expected)
            )
            continue
        for key, text in block.items():
            if key not in NARRATIVE_KEYS:
                listed = "、".join(f"{k}（{v}）" for k, v in NARRATIVE_KEYS.items())
                problems.append(Problem(shown, "未知的段落名称", column=f"{where}.{key}", value=key, expected=listed))
            elif text is not None and not isinstance(text, str):
                problems.append(
                    Problem(shown, "段落应为文字", column=f"{where}.{key}", value=text, expected="一段文字")
                )
            elif too_long := long_text(shown, f"{where}.{key}", text, NARRATIVE_LIMIT, _line(block, key)):
                problems.append(too_long)
    return problems


def _signed_on_problems(values: dict[str, Any], shown: str) -> list[Problem]:
    """``signed_on`` is one date, or years mapped to dates: each readable as a ledger date is,
    and a year's own date within the year's window (:func:`signature_window`)."""
    given = values.get("signed_on")
    line = _line(values, "signed_on")
    if not isinstance(given, dict):
        return _unreadable_date(shown, "signed_on", given, line)
    problems = []
    for year, value in given.items():
        key, row = f"signed_on.{year}", _line(given, year) or line
        if not re.fullmatch(r"\d{4}", str(year)):
            expected = "四位数字的年度，如“signed_on: {2022: 2023-01-10}”"
            problems.append(
                Problem(shown, "落款日期的年度不是四位数字", row=row, column=key, value=year, expected=expected)
            )
        elif unreadable := _unreadable_date(shown, key, value, row):
            problems += unreadable
        elif (day := read_date(value)) and (reason := out_of_window(day, int(year))):
            problems.append(Problem(shown, reason, row=row, column=key, value=value, expected=_window_text(int(year))))
    return problems


def _unreadable_date(shown: str, key: str, value: object, row: int | None) -> list[Problem]:
    try:
        read_date(value)
    except UnreadableDate as exc:
        text = str(value) if len(str(value)) <= 40 else str(value)[:40] + "…"
        expected = f"日期，如{DATE_FORMS}；或按年度写“signed_on: {{2022: 2023-01-10}}”"
        return [Problem(shown, f"落款日期{exc.message}", row=row, column=key, value=text, expected=expected)]
    return []


def _line(mapping: object, key: object) -> int | None:
    return mapping.line(key) if isinstance(mapping, Mapping) else None


def load_bureau(params_dir: Path, code: str) -> BureauParams:
    """One bureau's parameters; raise ParameterError naming every problem in the file."""
    path = bureau_file(params_dir, code)
    if not path.is_file():
        known = "、".join(list_bureaus(params_dir)) or "无"
        raise NotFoundError(f"找不到单位“{code}”的参数文件“{path}”。已有的单位：{known}。")
    shown = path.relative_to(params_dir).as_posix()
    values, problems = _read_yaml(path, shown)
    params = BureauParams(code, path, values)
    problems += [] if problems else check_bureau(params, shown)
    if problems:
        raise ParameterError(problems)
    return params


def load_all(params_dir: Path) -> tuple[dict[str, BureauParams], list[Problem]]:
    """Every bureau's parameters, and the problems of those that cannot be used."""
    found, problems = {}, []
    for path in _yaml_files(params_dir):
        if not CODE.fullmatch(path.stem):
            problems.append(Problem(path.as_posix(), "文件名不是合法的单位代码", value=path.stem, expected=CODE_RULE))
    for code in list_bureaus(params_dir):
        try:
            found[code] = load_bureau(params_dir, code)
        except ParameterError as err:
            problems += err.problems
    return found, problems


class _Literal(str):
    """A multi-line string dumped in YAML's readable ``|`` block style."""


class _Dumper(yaml.SafeDumper):  # type: ignore[misc]  # PyYAML has no type information
    pass


_Dumper.add_representer(Mapping, yaml.representer.SafeRepresenter.represent_dict)
_Dumper.add_representer(
    _Literal, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="|")
)


def save_narrative(params: BureauParams, year: int, texts: dict[str, str]) -> None:
    """Store a year's own narrative (problems / next_steps) in the bureau's parameter file.

    Empty texts remove the entry, so the template's default paragraphs apply again.
    The file's leading comment lines are kept. A text over :data:`NARRATIVE_LIMIT` is refused.
    """
    shown = f"{bureau_dir(Path()).name}/{params.path.name}"
    too_long = [long_text(shown, f"narrative.{year}.{k}", v, NARRATIVE_LIMIT) for k, v in texts.items()]
    if any(too_long):
        raise ParameterError([p for p in too_long if p is not None])
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
