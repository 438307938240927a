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
from toolkit.data.yamlfile import Mapping, long_text, parse_yaml, with_entry
from toolkit.errors import NotFoundError, ZongjieError
from toolkit.outputs import update_locked

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


def _read_yaml(content: bytes, shown: str) -> tuple[Mapping, list[Problem]]:
    data, problems = parse_yaml(content, shown)
    if problems:
        return Mapping(), problems
    if data is None:
        return Mapping(), []
    if not isinstance(data, dict):
        return Mapping(), [Problem(shown, "内容不是“键: 值”的形式", expected="如“name: 某某县财政局”的YAML映射")]
    return data if isinstance(data, Mapping) else Mapping(data), []


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
        return [Problem(shown, f"落款日期无法识别：{exc.message}", row=row, column=key, value=text, expected=expected)]
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
    values, problems = _read_yaml(path.read_bytes(), shown)
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


def _dump(mapping: object) -> str:
    return str(yaml.dump(mapping, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000))


def _merged(
    current: dict[str, str], texts: dict[str, str], loaded: dict[str, str] | None, shown: str, year: int
) -> dict[str, str]:
    """The year's texts to store: the caller's, except where it changed nothing and another hand did.

    A text the caller changed while the file's text also changed since ``loaded`` (and to
    something else) is refused: one reviewer never overwrites another unseen.
    """
    merged = {}
    for key, zh in NARRATIVE_KEYS.items():
        mine, theirs = (texts.get(key) or "").strip(), current.get(key, "")
        base = None if loaded is None else (loaded.get(key) or "").strip()
        if mine == base:
            mine = theirs
        elif base is not None and theirs not in (base, mine):
            message = f"他人已修改本单位{year}年的“{zh}”，请刷新后再保存（本次修改未保存）"
            raise ParameterError([Problem(shown, message, column=f"narrative.{year}.{key}")])
        if mine:
            merged[key] = mine
    return merged


def save_narrative(
    params: BureauParams, year: int, texts: dict[str, str], *, loaded: dict[str, str] | None = None
) -> dict[str, str]:
    """Store a year's own narrative (problems / next_steps) in the bureau's parameter file; return it as stored.

    Empty texts remove the entry, so the template's default paragraphs apply again. The
    file is reread under its lock and only ``narrative.<year>`` changes: other keys,
    comments and layout, however someone edited them meanwhile, stay as they are.
    ``loaded`` is the year's texts as the caller read them (the review panel, when it
    loaded the bureau-year): a text left as loaded keeps what the file holds now, and a text
    someone else changed since is not overwritten (ParameterError, "请刷新后再保存").
    A text over :data:`NARRATIVE_LIMIT` is refused.
    """
    shown = params.path.relative_to(params.path.parent.parent).as_posix()
    too_long = [long_text(shown, f"narrative.{year}.{k}", v, NARRATIVE_LIMIT) for k, v in texts.items()]
    if any(too_long):
        raise ParameterError([p for p in too_long if p is not None])
    stored: dict[str, str] = {}

    def change(content: bytes | None) -> bytes:
        if content is None:
            raise NotFoundError(f"找不到单位“{params.code}”的参数文件“{params.path}”。")
        values, problems = _read_yaml(content, shown)
        problems += _narrative_problems(values.get("narrative"), shown)
        if problems:
            raise ParameterError(problems)
        now = BureauParams(params.code, params.path, values).narrative(year)
        stored.update(_merged(now, texts, loaded, shown, year))
        block = {k: _Literal(v + "\n") for k, v in stored.items()} or None
        return with_entry(content.decode("utf-8"), values, "narrative", int(year), block, _dump).encode("utf-8")

    update_locked(params.path, change)
    values, problems = _read_yaml(params.path.read_bytes(), shown)
    params.values = values if not problems else params.values
    return stored
