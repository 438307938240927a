"""Analysts' corrections of figures, with an audit trail.

``<params>/overrides/<bureau>-<year>.yaml`` holds, per figure key, the value the data
gave (``old``), the value to print instead (``new``), why (``reason``), who (``by``)
and when (``at``). Every render, run and batch applies it; deleting an entry removes
the correction.

A correction sets the figure's typed value (an amount in 元, a count, a date …),
read by the figure's form, and the text is written from that value; so checks,
charts, ``figures.json`` and the notebook all see the corrected value. A value that
cannot be read (empty, ``yes``, ``二十亿左右``, ``20.1万元`` for an 亿元 figure) is
refused with the form expected.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from toolkit.codes import check_code
from toolkit.data.params import NAME_LIMIT, NOTE_LIMIT
from toolkit.data.problems import ParameterError, Problem
from toolkit.data.yamlfile import Mapping, long_text, read_yaml
from toolkit.outputs import atomic_write
from toolkit.report.definitions import list_reports, load_definition
from toolkit.report.figures import Figures, Spec
from toolkit.report.formatting import Form, Refused, figure_text
from toolkit.resources import DEFAULT_REPORT

HEADER = "# 人工修改记录：由审核面板写入。删除某一项即撤销该项修改。\n"
REQUIRED = {"new": "修改后的值", "reason": "修改原因", "by": "修改人"}
#: The longest text each field of an entry may hold, in characters.
LIMITS = {"new": NOTE_LIMIT, "reason": NOTE_LIMIT, "by": NAME_LIMIT}
#: One correction as its file holds it: new, reason, by, at, and what the data gave (old).
Entry = dict[str, Any]

_NAME = re.compile(r"^(?P<bureau>[A-Za-z0-9][A-Za-z0-9_-]*)-(?P<year>\d{4})$")


def overrides_path(params_dir: Path, bureau: str, year: int, report: str = DEFAULT_REPORT) -> Path:
    """``overrides/<bureau>-<year>.yaml`` for the seed report, ``overrides/<report>/…`` for another."""
    folder = Path(params_dir) / "overrides"
    return (folder if report == DEFAULT_REPORT else folder / report) / f"{check_code(bureau)}-{int(year)}.yaml"


def shown_path(params_dir: Path, path: Path) -> str:
    """A parameter file as messages name it: relative to the parameters folder."""
    try:
        return Path(path).relative_to(Path(params_dir)).as_posix()
    except ValueError:
        return Path(path).as_posix()


def _line(mapping: object, key: object) -> int | None:
    return mapping.line(key) if isinstance(mapping, Mapping) else None


def _entries(path: Path, shown: str) -> tuple[Mapping, list[Problem]]:
    """Entries of one file, and every problem of its structure (not yet of its values)."""
    data, problems = read_yaml(path, shown)
    if problems:
        return Mapping(), problems
    if data is None:
        return Mapping(), []
    entries = data.get("overrides") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        return Mapping(), [Problem(shown, "修改记录格式不对", expected="“overrides:”下按数据代码列出各项修改")]
    found = Mapping()
    found.lines = {str(k): line for k in entries if (line := _line(entries, k)) is not None}
    for key, entry in entries.items():
        row = _line(entries, key)
        if not isinstance(entry, dict):
            problems.append(
                Problem(
                    shown,
                    "这一项修改不是“键: 值”的形式",
                    row=row,
                    column=str(key),
                    value=entry,
                    expected="含 new、reason、by 的映射",
                )
            )
            continue
        problems += _entry_problems(entry, shown, str(key), row)
        found[str(key)] = entry
    return found, problems


def _entry_problems(entry: dict[str, Any], shown: str, key: str, row: int | None) -> list[Problem]:
    """A missing reason or name, and any field longer than its limit (``new`` is read by the figure's form)."""
    problems = []
    for field, zh in REQUIRED.items():
        value = entry.get(field)
        if too_long := long_text(shown, f"{key}.{field}", value, LIMITS[field], _line(entry, field) or row):
            problems.append(too_long)
        elif field != "new" and (value is None or isinstance(value, (dict, list)) or not str(value).strip()):
            problems.append(Problem(shown, f"缺少{zh}（{field}）", row=_line(entry, field) or row, column=key))
    return problems


def load_overrides(params_dir: Path, bureau: str, year: int, report: str = DEFAULT_REPORT) -> dict[str, Entry]:
    """Figure key → entry; an absent file means no overrides. Raise on a malformed file."""
    path = overrides_path(params_dir, bureau, year, report)
    if not path.is_file():
        return {}
    entries, problems = _entries(path, shown_path(params_dir, path))
    if problems:
        raise ParameterError(problems)
    return entries


def read_new(raw: object, form: Form) -> object:
    """The typed value a correction's new value gives for a figure of ``form``; raise :class:`Refused`.

    The one reader of corrected values: every saved correction is read by it (:func:`parse_new`,
    so :func:`save_override`, :func:`apply_overrides` and :func:`check_all`), and the review
    panel checks what a reviewer types with it, so a value it accepts is one the save accepts.
    """
    return form.parse(raw)


def parse_new(entry: Entry, form: Form, where: str, key: str, row: int | None = None) -> object:
    """The typed value of an entry's ``new``; raise ParameterError naming file, key and value."""
    raw = entry.get("new")
    try:
        return read_new(raw, form)
    except Refused as refused:
        shown = "（空）" if raw is None or raw == "" else raw
        message = f"数据项“{key}”的修改后的值（new）不能使用：{refused.message}"
        raise ParameterError(
            [Problem(where, message, row=row, column=key, value=shown, expected=refused.expected)]
        ) from None


def saved_values(
    params_dir: Path, bureau: str, year: int, forms: dict[str, Form], report: str = DEFAULT_REPORT
) -> dict[str, tuple[object, Entry]]:
    """Key → (typed new value, entry) of each saved correction whose key is in ``forms``.

    For documents other than the report that show the same figures (the 汇总表). Raise
    ParameterError naming every unreadable entry.
    """
    path = overrides_path(params_dir, bureau, year, report)
    where = shown_path(params_dir, path)
    entries = load_overrides(params_dir, bureau, year, report)
    values, problems = _parse_all(entries, forms, where)
    if problems:
        raise ParameterError(problems)
    return {key: (value, entries[key]) for key, value in values.items()}


def _parse_all(
    entries: dict[str, Entry], forms: dict[str, Form], where: str
) -> tuple[dict[str, object], list[Problem]]:
    """The typed new value of each entry whose key is in ``forms``, and every unreadable one's problem."""
    values: dict[str, object] = {}
    problems: list[Problem] = []
    for key, entry in entries.items():
        if key in forms:
            try:
                values[key] = parse_new(entry, forms[key], where, key, _line(entries, key))
            except ParameterError as err:
                problems += err.problems
    return values, problems


def _write(path: Path, entries: dict[str, Entry]) -> None:
    if not entries:
        path.unlink(missing_ok=True)
        return
    plain = {k: dict(v) for k, v in entries.items()}
    body = yaml.safe_dump({"overrides": plain}, allow_unicode=True, sort_keys=False)
    atomic_write(path, (HEADER + body).encode("utf-8"))


def save_override(
    params_dir: Path, figures: Figures, key: str, new: str, reason: str, by: str, *, now: datetime | None = None
) -> Entry:
    """Record that ``key`` takes the value ``new`` instead of what the data gives; return the entry."""
    path = overrides_path(params_dir, figures.bureau, figures.year, figures.report)
    where = shown_path(params_dir, path)
    problems = []
    if key not in figures:
        problems.append(Problem(where, "没有这个数据项", column=key, value=key))
    if not str(reason).strip():
        problems.append(Problem(where, "请填写修改原因", column=key))
    if not str(by).strip():
        problems.append(Problem(where, "请填写修改人", column=key))
    given = {"new": str(new).strip(), "reason": str(reason).strip(), "by": str(by).strip()}
    problems += [p for field, text in given.items() if (p := long_text(where, f"{key}.{field}", text, LIMITS[field]))]
    if key in figures and len(given["new"]) <= NOTE_LIMIT:
        try:
            parse_new({"new": new}, figures[key].form, where, key)
        except ParameterError as err:
            problems += err.problems
    if problems:
        raise ParameterError(problems)
    figure = figures[key]
    computed = figure.override["computed"] if figure.override else figure.text
    entry = {
        "label": figure.label,
        "old": computed,
        "new": str(new).strip(),
        "reason": str(reason).strip(),
        "by": str(by).strip(),
        "at": (now or datetime.now()).isoformat(timespec="seconds"),
    }
    entries = load_overrides(params_dir, figures.bureau, figures.year, figures.report)
    entries[key] = entry
    _write(path, entries)
    return entry


def remove_override(params_dir: Path, bureau: str, year: int, key: str, report: str = DEFAULT_REPORT) -> bool:
    entries = load_overrides(params_dir, bureau, year, report)
    if entries.pop(key, None) is None:
        return False
    _write(overrides_path(params_dir, bureau, year, report), entries)
    return True


def apply_overrides(figures: Figures, entries: dict[str, Entry], source: Path | str) -> None:
    """Set each corrected figure's value (text written from it), keep what the data gave, flag stale ones.

    Every problem (unknown key, unreadable value) is raised together before any figure changes.
    """
    where = source if isinstance(source, str) else Path(source).as_posix()
    problems = [
        Problem(where, "修改记录中有未知的数据项", row=_line(entries, k), column=k, value=k)
        for k in entries
        if k not in figures
    ]
    values, unreadable = _parse_all(entries, {k: figures[k].form for k in entries if k in figures}, where)
    problems += unreadable
    if problems:
        raise ParameterError(problems)
    for key, entry in entries.items():
        figure = figures[key]
        computed, computed_value = figure.text, figure.value if figure.text is not None else None
        figure.value = values[key]
        figure.text = figure_text(figure.value, figure.form, label=figure.label, where=where)
        figure.override = {**entry, "computed": computed, "computed_value": computed_value}
        figure.missing = None
        if stale := _stale(entry, computed):
            figure.warnings.append(stale)


#: What an entry's ``old`` says when the file does not say what the data gave.
NOT_RECORDED = "未记录"
_MISSING_THEN = "缺失"


def recorded_old(entry: dict[str, Any]) -> str:
    """What the data gave when the correction was made, for a reader: its text, 缺失 when the
    figure was missing then (``old: null``, as the review panel writes it), 未记录 when the
    entry does not say (no ``old``, or empty)."""
    if "old" not in entry:
        return NOT_RECORDED
    old = entry["old"]
    if old is None:
        return _MISSING_THEN
    if (isinstance(old, float) and old != old) or not str(old).strip():
        return NOT_RECORDED
    return str(old).strip()


def _stale(entry: dict[str, Any], computed: str | None) -> str:
    """The warning when the data no longer give what they gave at the correction ("" when they do)."""
    then, now = recorded_old(entry), computed if computed is not None else _MISSING_THEN
    if then == now:
        return ""
    said = "修改时未记录台账计算值" if then == NOT_RECORDED else f"修改时台账计算值为“{then}”"
    return f"{said}，现为“{now}”，请确认修改是否仍然适用"


def apply_saved(figures: Figures, params_dir: Path, report: str = DEFAULT_REPORT) -> None:
    """Apply the bureau-year's saved overrides of ``report`` to ``figures`` (nothing when there are none)."""
    path = overrides_path(params_dir, figures.bureau, figures.year, report)
    entries = load_overrides(params_dir, figures.bureau, figures.year, report)
    apply_overrides(figures, entries, shown_path(params_dir, path))


def check_all(params_dir: Path, catalogue: Iterable[Spec] | None = None, report: str = DEFAULT_REPORT) -> list[Problem]:
    """Every problem of every override file under ``params_dir``: structure, unknown keys, unreadable values.

    The seed report's corrections sit in ``overrides/``, another report's in ``overrides/<report>/``.
    """

    folder = Path(params_dir) / "overrides"
    if report != DEFAULT_REPORT:
        folder = folder / report
    if not folder.is_dir():
        return []
    if catalogue is None:
        catalogue = load_definition(report).specs
    specs = {spec.key: spec for spec in catalogue}
    problems: list[Problem] = []
    if report == DEFAULT_REPORT:
        for other in list_reports():
            if other != DEFAULT_REPORT and (folder / other).is_dir():
                problems += check_all(params_dir, report=other)
    for path in sorted(folder.glob("*.yaml")):
        problems += _check_file(path, shown_path(params_dir, path), specs)
    return problems


def _check_file(path: Path, shown: str, specs: dict[str, Spec]) -> list[Problem]:
    """Every problem of one override file: its name, structure, unknown keys and unreadable values."""
    match = _NAME.match(path.stem)
    if not match:
        return [Problem(shown, "文件名不是“单位代码-年度.yaml”", value=path.name, expected="如“qingshan-2022.yaml”")]
    year = int(match["year"])
    entries, problems = _entries(path, shown)
    for key, entry in entries.items():
        row = _line(entries, key)
        spec = specs.get(key)
        if spec is None:
            problems.append(Problem(shown, "修改记录中有未知的数据项", row=row, column=key, value=key))
            continue
        if len(str(entry.get("new"))) > NOTE_LIMIT:
            continue  # named as too long by _entries
        try:
            parse_new(entry, spec.form(year), shown, key, row)
        except ParameterError as err:
            problems += err.problems
    return problems
