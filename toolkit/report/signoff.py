"""Sign-off of one bureau-year's report: 已核对 by a reviewer, 已定稿 by the office.

A reviewer who has checked a bureau-year's figures marks its report **已核对**; the office
collecting the reports then marks it **已定稿**. Each mark is taken against the figures as
they are at that moment, by their *fingerprint* (:func:`fingerprint`: a digest of every
figure's key, printed text and value). When new ledgers or a correction later change a
figure, the fingerprint no longer matches and the report is **待核对** again;
:func:`state` says which figures moved, by label (``财政总收入：8.77亿元→9.12亿元``). Should
the figures return to what was marked, the mark holds again.

The marks are plain YAML beside the corrections (see :func:`signoff_path`)::

    <params>/signoffs/<bureau>-<year>.yaml            the seed report
    <params>/signoffs/<report>/<bureau>-<year>.yaml   another report

holding the mark in force (``status``, ``fingerprint``, ``reviewed`` and ``final``: who and
when), the figures as marked (``figures``: key → label, text, value, unit), and every mark
ever made (``history``). A file is reread and written whole under a lock beside it
(:func:`toolkit.outputs.update_locked`), so two reviewers marking at once both keep their
mark. Deleting the file withdraws the sign-off.

How the command line, the batch and the index page call it::

    from toolkit.report import signoff

    now = signoff.state(params_dir, rep.figures)          # SignOff(status, by, at, moved, …)
    signoff.sign(params_dir, rep.figures, "王审核")        # 已核对
    signoff.sign(params_dir, rep.figures, "市局办公室", final=True)   # 已定稿
    signoff.state(params_dir, json.loads(figures_json))   # from a written figures.json too

The report is the one ``figures`` were computed for (``Figures.report``); a figures.json
names none, so ``report=`` gives it for a report other than the seed report.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, cast

import yaml

from toolkit.codes import check_code
from toolkit.data.contract_file import load_contract
from toolkit.data.params import NAME_LIMIT
from toolkit.data.problems import ParameterError, Problem
from toolkit.data.yamlfile import long_text, parse_yaml
from toolkit.errors import ZongjieError
from toolkit.outputs import update_locked
from toolkit.report.definitions import load_definition
from toolkit.report.figures import Figure, Figures
from toolkit.report.formatting import Form
from toolkit.report.gate import FinalGate
from toolkit.report.overrides import shown_at as shown_at  # where readers of sign-offs find it
from toolkit.report.overrides import shown_path
from toolkit.report.prepare import DEFAULT_DATE_NOTE
from toolkit.resources import DEFAULT_REPORT

PENDING, REVIEWED, FINAL = "待核对", "已核对", "已定稿"
FOLDER = "signoffs"
HEADER = "# 核对与定稿记录：由审核面板写入。删除本文件即撤销本单位本年度报告的核对和定稿。\n"
#: A parsed ``figures.json`` (``bureau``, ``year``, ``figures``: each figure's ``to_dict()``).
FiguresJson = Mapping[str, Any]

#: The unit a reader sees after an amount's text, by the amount's unit (万元取整 writes 万 itself).
_AMOUNT_SUFFIX = {"元": "元", "万元": "万元", "万元取整": "元", "亿元": "亿元"}
_MISSING_TEXT = "缺失"


@dataclass(frozen=True)
class Mark:
    """A reviewer's or the office's mark: who and when."""

    by: str
    at: datetime


@dataclass(frozen=True)
class SignOff:
    """Where one bureau-year's report stands against its current figures.

    ``status`` is :data:`PENDING`, :data:`REVIEWED` or :data:`FINAL`; ``by`` and ``at`` name
    who gave it and when (the office for 已定稿, the reviewer for 已核对; empty for 待核对).
    ``moved`` lists, when a mark no longer holds, each figure changed since, as
    ``"label：old→new"``. ``previous`` is that withdrawn mark's status ("" when there is
    none); ``reviewed`` and ``final`` are the marks in force.
    """

    status: str
    by: str = ""
    at: datetime | None = None
    moved: list[str] = field(default_factory=list)
    fingerprint: str = ""
    reviewed: Mark | None = None
    final: Mark | None = None
    previous: str = ""

    @property
    def signed(self) -> bool:
        """Marked 已核对 or 已定稿, and the figures are still those marked."""
        return self.status != PENDING

    @property
    def withdrawn(self) -> bool:
        """A mark was given, but the figures have changed since."""
        return self.status == PENDING and bool(self.previous)

    def __str__(self) -> str:
        """One line for a reader: ``已核对（王审核，2026年12月2日 03:57）``, or what moved."""
        if self.signed:
            return f"{self.status}（{self.by}，{shown_at(self.at)}）"
        if self.withdrawn:
            what = "：" + "；".join(self.moved) if self.moved else ""
            return f"{PENDING}（{self.previous}后数据有变化{what}）"
        return PENDING

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON and CSV: status, by, at (ISO, "" for none), moved, previous, fingerprint."""
        return {
            "status": self.status,
            "by": self.by,
            "at": self.at.isoformat(timespec="seconds") if self.at else "",
            "moved": list(self.moved),
            "previous": self.previous,
            "fingerprint": self.fingerprint,
        }


# --- reading figures ----------------------------------------------------------------------


def _unit(form: Form) -> str:
    if form.kind == "amount":
        return _AMOUNT_SUFFIX.get(form.unit, "")
    if form.kind == "count":
        return form.unit
    return ""


def unit_of(figure: Figure) -> str:
    """The unit a reader sees after the figure's text: 亿元, 万元, 元 (after ``1235万``), 人次; else ""."""
    return _unit(figure.form)


def _definition_units(report: str, year: int, params_dir: Path | None) -> dict[str, str]:
    """Each figure's unit by the report's definition (for a figures.json, which names no unit)."""
    try:
        specs = load_definition(report, contract=load_contract(params_dir)).specs
    except ZongjieError:
        return {}
    return {spec.key: _unit(spec.form(year)) for spec in specs}


def printed(figure: Figure) -> str:
    """The figure as the report prints it, with its unit: ``8.77亿元``, ``1235万元``; 缺失 when missing."""
    return _printed(figure.text, unit_of(figure))


def _printed(text: object, unit: str) -> str:
    return _MISSING_TEXT if text is None else f"{text}{unit}"


def _dated_today(entry: Mapping[str, Any], year: int) -> bool:
    """The signature date no one gave: the day of rendering, which changes daily with nothing to check."""
    return entry.get("key") == "signed_on" and DEFAULT_DATE_NOTE.format(year=year) in (entry.get("warnings") or ())


def _entries(
    figures: Figures | FiguresJson, report: str, params_dir: Path | None = None
) -> tuple[str, int, list[dict[str, Any]]]:
    """Bureau, year and each figure's key, label, text, value and unit (as ``Figure.to_dict`` writes them)."""
    if isinstance(figures, Figures):
        listed = [{**f.to_dict(), "unit": unit_of(f)} for f in figures.values()]
        return figures.bureau, figures.year, listed
    data = cast(FiguresJson, figures)  # a Figures is a Mapping too: mypy keeps it in the union
    year = int(data["year"])
    units = _definition_units(report, year, params_dir)
    listed = [
        {**f, "unit": units.get(str(f.get("key")), "")} for f in data.get("figures", []) if isinstance(f, Mapping)
    ]
    return str(data["bureau"]), year, listed


def _signed_entries(
    figures: Figures | FiguresJson, report: str, params_dir: Path | None = None
) -> tuple[str, int, list[dict[str, Any]]]:
    bureau, year, listed = _entries(figures, report, params_dir)
    return bureau, year, [e for e in listed if not _dated_today(e, year)]


def _report(figures: Figures | FiguresJson, report: str | None) -> str:
    return report or (figures.report if isinstance(figures, Figures) else DEFAULT_REPORT)


def _digest(entries: list[dict[str, Any]]) -> str:
    rows = [[e.get("key"), e.get("text"), e.get("value")] for e in entries]
    body = json.dumps(rows, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def fingerprint(figures: Figures | FiguresJson) -> str:
    """A digest of every figure's key, printed text and value (a figures.json gives the same digest).

    The signature date is left out while it is the day of rendering (no ``signed_on`` in
    the bureau's parameters): it changes every day without any figure changing.
    """
    return _digest(_signed_entries(figures, _report(figures, None))[2])


# --- the file -----------------------------------------------------------------------------


def signoff_path(params_dir: Path, bureau: str, year: int, report: str = DEFAULT_REPORT) -> Path:
    """``signoffs/<bureau>-<year>.yaml`` for the seed report, ``signoffs/<report>/…`` for another."""
    folder = Path(params_dir) / FOLDER
    return (folder if report == DEFAULT_REPORT else folder / report) / f"{check_code(bureau)}-{int(year)}.yaml"


def _read(params_dir: Path, path: Path) -> dict[str, Any]:
    """The file's record ({} when there is none); raise ParameterError when it cannot be read."""
    if not path.is_file():
        return {}
    return _record(path.read_bytes(), shown_path(params_dir, path))


def _record(content: bytes | None, shown: str) -> dict[str, Any]:
    """The record of a file holding ``content`` ({} for none); raise ParameterError when it cannot be read."""
    if content is None:
        return {}
    data, problems = parse_yaml(content, shown)
    if problems:
        raise ParameterError(problems)
    if data is None:
        return {}
    if not isinstance(data, dict) or data.get("status") not in (REVIEWED, FINAL):
        expected = "“status:”为已核对或已定稿，以及核对人、时间和当时的数据"
        raise ParameterError([Problem(shown, "核对与定稿记录格式不对", expected=expected)])
    return data


def _mark(value: object) -> Mark | None:
    if not isinstance(value, dict) or not str(value.get("by") or "").strip():
        return None
    at = value.get("at")
    try:
        moment = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
    except ValueError:
        return None
    return Mark(str(value["by"]).strip(), moment)


def _plain(value: object) -> object:
    """What the file held as plain dicts and lists (the YAML reader's mappings carry their lines)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _dumped(record: dict[str, Any]) -> bytes:
    body = yaml.safe_dump(_plain(record), allow_unicode=True, sort_keys=False, width=1000)
    return (HEADER + str(body)).encode("utf-8")


# --- state and marks ----------------------------------------------------------------------


def _value_text(value: object, unit: str) -> str:
    """A figure's value as its JSON holds it, for a reader: an amount (in 元) without trailing zeros, with 元."""
    if unit not in _AMOUNT_SUFFIX.values() or not isinstance(value, (str, int)):
        return str(value)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = format(number.normalize(), "f") if number == number.to_integral_value() else format(number, "f")
    return text.rstrip("0").rstrip(".") + "元" if "." in text else text + "元"


def _moved(stored: object, current: list[dict[str, Any]]) -> list[str]:
    """``label：old→new`` for each figure whose text or value differs from the one marked."""
    before = {str(k): v for k, v in stored.items() if isinstance(v, dict)} if isinstance(stored, dict) else {}
    now = {str(e.get("key")): e for e in current}
    moved = []
    for key in [*now, *(k for k in before if k not in now)]:
        old, new = before.get(key), now.get(key)
        if (
            old is not None
            and new is not None
            and (old.get("text"), old.get("value"))
            == (
                new.get("text"),
                new.get("value"),
            )
        ):
            continue
        label = (new or old or {}).get("label") or key
        unit = str((old or {}).get("unit") or (new or {}).get("unit") or "")
        old_text = _printed(old.get("text"), unit) if old is not None else "（无）"
        new_text = _printed(new.get("text"), str(new.get("unit", unit))) if new is not None else "（无）"
        if old_text == new_text and old is not None and new is not None:  # same print, another value
            values = f"{_value_text(old.get('value'), unit)}→{_value_text(new.get('value'), unit)}"
            moved.append(f"{label}：{old_text}（数值{values}）")
        else:
            moved.append(f"{label}：{old_text}→{new_text}")
    return moved


def _snapshot(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The figures as marked: key → label, text, value and unit."""
    return {
        str(e.get("key")): {"label": e.get("label"), "text": e.get("text"), "value": e.get("value"), "unit": e["unit"]}
        for e in entries
    }


def _state(record: dict[str, Any], entries: list[dict[str, Any]]) -> SignOff:
    current = _digest(entries)
    if not record:
        return SignOff(PENDING, fingerprint=current)
    reviewed, final = _mark(record.get("reviewed")), _mark(record.get("final"))
    status = str(record.get("status"))
    if record.get("fingerprint") != current or reviewed is None:
        return SignOff(PENDING, moved=_moved(record.get("figures"), entries), fingerprint=current, previous=status)
    if status == FINAL and final is not None:
        return SignOff(FINAL, final.by, final.at, fingerprint=current, reviewed=reviewed, final=final)
    return SignOff(REVIEWED, reviewed.by, reviewed.at, fingerprint=current, reviewed=reviewed)


def state(params_dir: Path, figures: Figures | FiguresJson, report: str | None = None) -> SignOff:
    """Where the report of these figures stands: 待核对, 已核对 or 已定稿, and what moved since a mark.

    ``figures`` are a bureau-year's computed figures (corrections applied, as ``prepare``
    gives them) or a parsed figures.json of them. ``report`` defaults to the one the
    figures were computed for (the seed report for a figures.json). Raise ParameterError
    when the record cannot be read.
    """
    name = _report(figures, report)
    bureau, year, entries = _signed_entries(figures, name, params_dir)
    return _state(_read(params_dir, signoff_path(params_dir, bureau, year, name)), entries)


def _refusal(record: dict[str, Any], entries: list[dict[str, Any]], figures: Figures | FiguresJson, report: str) -> str:
    """Why the office may not mark these figures 已定稿 ("" when it may)."""
    if not _state(record, entries).signed:
        return "尚未核对当前的数据，不能定稿：请先标记为已核对"
    missing = [str(e.get("label")) for e in _entries(figures, report)[2] if e.get("text") is None]
    if missing:
        return f"有{len(missing)}项数据缺失（{'、'.join(missing)}），不能定稿"
    return ""


def sign(
    params_dir: Path,
    figures: Figures | FiguresJson,
    by: str,
    *,
    final: bool = False,
    report: str | None = None,
    now: datetime | None = None,
    gate: FinalGate | None = None,
) -> SignOff:
    """Mark the report of these figures 已核对 (``final=False``) or 已定稿 by ``by``; return its new state.

    已定稿 needs the current figures marked 已核对 and none missing, and nothing in the ledgers
    ``gate`` was made from that refuses a final report (data left unread, rows under a code
    without a parameter file). A new 已核对 after the
    figures changed replaces the old marks (a 已定稿 of other figures no longer holds).
    Raise ParameterError (in Chinese, naming the file) when refused.
    """
    name = _report(figures, report)
    bureau, year, entries = _signed_entries(figures, name, params_dir)
    path = signoff_path(params_dir, bureau, year, name)
    shown = shown_path(params_dir, path)
    who = str(by or "").strip()
    if not who:
        raise ParameterError([Problem(shown, "请填写定稿人" if final else "请填写核对人")])
    if too_long := long_text(shown, "by", who, NAME_LIMIT):
        raise ParameterError([too_long])
    if final and gate is not None and (sections := gate.ledger_sections()):
        shown_items = "；".join(
            f"{head}{items[0]}" + (f"等{len(items)}处" if len(items) > 1 else "") for head, items in sections
        )
        raise ParameterError([Problem(shown, f"不能定稿：{shown_items}")])
    mark = {"by": who, "at": (now or datetime.now()).isoformat(timespec="seconds")}
    updated: dict[str, Any] = {}

    def change(content: bytes | None) -> bytes:
        record = _record(content, shown)
        if final and (refused := _refusal(record, entries, figures, name)):
            raise ParameterError([Problem(shown, refused)])
        status = FINAL if final else REVIEWED
        history = [h for h in record.get("history") or [] if isinstance(h, dict)]
        updated.update(
            status=status,
            fingerprint=_digest(entries),
            reviewed=record.get("reviewed") if final else mark,
            **({"final": mark} if final else {}),
            figures=_snapshot(entries),
            history=[*history, {"status": status, **mark, "fingerprint": _digest(entries)}],
        )
        return _dumped(updated)

    update_locked(path, change)
    return _state(updated, entries)


def withdraw(params_dir: Path, bureau: str, year: int, report: str = DEFAULT_REPORT) -> bool:
    """Remove the bureau-year's marks (its file); False when there were none."""
    found = False

    def change(content: bytes | None) -> None:
        nonlocal found
        found = content is not None
        return None

    update_locked(signoff_path(params_dir, bureau, year, report), change)
    return found
