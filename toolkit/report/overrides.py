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

Every change of the file (:func:`save_override`, :func:`remove_override`) takes its lock,
rereads it and changes only its own key (:func:`toolkit.outputs.update_locked`), so two
reviewers saving at once both keep their corrections; a correction changed by someone else
since the figures were computed is not overwritten unseen.
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
from toolkit.data.yamlfile import Mapping, long_text, parse_yaml
from toolkit.outputs import update_locked
from toolkit.report.definitions import list_reports, load_definition
from toolkit.report.figures import Figure, Figures, Spec
from toolkit.report.formatting import Form, Refused, figure_text
from toolkit.resources import DEFAULT_REPORT

HEADER = "# 人工修改记录：由审核面板写入。删除某一项即撤销该项修改。\n"
REQUIRED = {"new": "修改后的值", "reason": "修改原因", "by": "修改人"}
#: Why a new value that changes nothing is not saved.
SAME = "新值与报告中的写法相同，无需修改"
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


def shown_at(at: datetime | str | None) -> str:
    """A moment as a reader writes it: ``2026年12月2日 03:57`` ("" for none; text kept as it is if unreadable)."""
    if at is None or at == "":
        return ""
    if not isinstance(at, datetime):
        try:
            at = datetime.fromisoformat(str(at))
        except ValueError:
            return str(at)
    return f"{at.year}年{at.month}月{at.day}日 {at:%H:%M}"


def _line(mapping: object, key: object) -> int | None:
    return mapping.line(key) if isinstance(mapping, Mapping) else None


def _entries(path: Path, shown: str) -> tuple[Mapping, list[Problem]]:
    """Entries of one file, and every problem of its structure (not yet of its values)."""
    return _parsed(Path(path).read_bytes(), shown)


def _parsed(content: bytes | None, shown: str) -> tuple[Mapping, list[Problem]]:
    """Entries of a file holding ``content`` (None: no file), and every problem of its structure."""
    if content is None:
        return Mapping(), []
    data, problems = parse_yaml(content, shown)
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


def _dumped(entries: dict[str, Entry]) -> bytes | None:
    """The file holding ``entries`` (None: no entries, no file)."""
    if not entries:
        return None
    plain = {k: dict(v) for k, v in entries.items()}
    body = yaml.safe_dump({"overrides": plain}, allow_unicode=True, sort_keys=False)
    return (HEADER + str(body)).encode("utf-8")


def _current(content: bytes | None, shown: str) -> Mapping:
    """The entries of the file as it is now; raise ParameterError when it cannot be read."""
    entries, problems = _parsed(content, shown)
    if problems:
        raise ParameterError(problems)
    return entries


def value_problem(figure: Figure, typed: object, printed: str | None = None) -> str:
    """Why ``typed`` cannot replace the figure ("" when it can): empty, what it is already, or unreadable.

    The one rule of a new value: the review panel shows it as the reviewer types and every
    save (the panel's, ``zongjie correct``'s) refuses by it. ``printed`` is the figure as the
    report prints it, unit included, when the caller knows the template's unit word.
    """
    text = "" if typed is None else str(typed).strip()
    if not text:
        return "请填写新值"
    if text in (figure.text, printed) and not figure.override:
        return SAME
    try:
        value = read_new(text, figure.form)
    except Refused as refused:
        return f"新值“{text}”不能使用：{refused.message}，应为{refused.expected}"
    if not figure.override and figure_text(value, figure.form) == figure.text:
        return SAME
    return ""


def unknown_key(figures: Figures, key: str, where: str) -> Problem | None:
    """The problem of a correction naming no figure of the report, listing every one it may name."""
    if key in figures:
        return None
    known = "、".join(f"{k}（{figure.label}）" for k, figure in figures.items())
    return Problem(where, "没有这个数据项", column=key, value=key, expected=f"以下数据项之一：{known}")


def _refusals(figures: Figures, key: str, new: object, reason: str, by: str, where: str, same: bool) -> list[Problem]:
    """Every reason the correction cannot be saved: unknown key, unusable value (or, with ``same``, one
    that changes nothing), no reason, no name, a text over its limit (:data:`LIMITS`)."""
    given = {"new": str(new or "").strip(), "reason": str(reason or "").strip(), "by": str(by or "").strip()}
    too_long = [p for field, text in given.items() if (p := long_text(where, f"{key}.{field}", text, LIMITS[field]))]
    problems = []
    if unknown := unknown_key(figures, key, where):
        problems.append(unknown)
    elif len(given["new"]) > LIMITS["new"]:
        pass  # said among the texts too long, not parsed
    elif (refused := value_problem(figures[key], new)) and (same or refused != SAME):
        problems.append(Problem(where, refused, column=key))
    if not given["reason"]:
        problems.append(Problem(where, "请填写修改原因", column=key))
    if not given["by"]:
        problems.append(Problem(where, "请填写修改人", column=key))
    return problems + too_long


def _changed_meanwhile(figure: Figure, now: Entry | None, where: str) -> Problem | None:
    """The problem of saving over a correction someone else saved (or undid) since ``figure`` was computed."""
    seen = figure.override
    fields = ("new", "reason", "by", "at")
    if now is None and seen is None:
        return None
    if now is not None and seen is not None and all(str(now.get(f)) == str(seen.get(f)) for f in fields):
        return None
    if now is None:
        message = f"他人已撤销对“{figure.label}”的修改，请刷新后再保存"
    else:
        when = f"于{shown_at(now.get('at'))}" if now.get("at") else ""
        message = f"他人已修改“{figure.label}”（{now.get('by') or '他人'}{when}改为“{now.get('new')}”），请刷新后再保存"
    return Problem(where, message, column=figure.key)


def save_override(
    params_dir: Path,
    figures: Figures,
    key: str,
    new: str,
    reason: str,
    by: str,
    *,
    now: datetime | None = None,
    refuse_same: bool = False,
) -> Entry:
    """Record that ``key`` takes the value ``new`` instead of what the data gives; return the entry.

    Refused (ParameterError, nothing written) by :func:`value_problem` (a value that changes
    nothing only with ``refuse_same``, as the review panel and ``zongjie correct`` ask) and
    for a missing reason or name, and when the file's entry for ``key`` changed since ``figures`` were
    computed (another reviewer saved or undid it): that is not overwritten unseen. Other
    keys are left as the file holds them at the moment of writing.
    """
    path = overrides_path(params_dir, figures.bureau, figures.year, figures.report)
    where = shown_path(params_dir, path)
    problems = _refusals(figures, key, new, reason, by, where, refuse_same)
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

    def change(content: bytes | None) -> bytes | None:
        entries = _current(content, where)
        if conflict := _changed_meanwhile(figure, entries.get(key), where):
            raise ParameterError([conflict])
        entries[key] = entry
        return _dumped(entries)

    update_locked(path, change)
    return entry


def remove_override(params_dir: Path, bureau: str, year: int, key: str, report: str = DEFAULT_REPORT) -> bool:
    """Undo the correction of ``key`` (its entry, the file with the last one); False when there was none."""
    path = overrides_path(params_dir, bureau, year, report)
    where = shown_path(params_dir, path)
    removed = False

    def change(content: bytes | None) -> bytes | None:
        nonlocal removed
        entries = _current(content, where)
        removed = entries.pop(key, None) is not None
        return _dumped(entries) if removed else content

    update_locked(path, change)
    return removed


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
