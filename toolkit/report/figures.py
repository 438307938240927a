"""Every blank of a report as a :class:`Figure`: value, formatted text, rule, sources.

A :class:`Spec` says how one blank is computed from a :class:`Scope` (one bureau's rows
of one year); the rules that build specs live in :mod:`toolkit.report.rules`, and a
report definition (:mod:`toolkit.report.definitions`) lists which specs a report has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd

from toolkit.data.contract import Column, Table
from toolkit.data.ledgers import Ledgers
from toolkit.data.params import BureauParams, default_signature
from toolkit.report import formatting as fmt

MISSING_MARK = "【待补充：{}】"
#: How the warning of a sum over blank cells begins (see :class:`Blanks`).
BLANKS_NOTE = "需核实："


@dataclass(frozen=True)
class Source:
    """Rows a figure was computed from: ledger rows, or a key of a parameter file.

    ``file`` is relative to the data folder (ledgers) or the parameters folder
    (parameter files); for a parameter, ``sheet`` holds the key and ``rows`` is empty.
    """

    table: str
    file: str
    sheet: str
    rows: tuple[int, ...]

    def __str__(self) -> str:
        if self.table == "parameters":
            return f"{self.file} 键“{self.sheet}”"
        sheet = f"“{self.sheet}”" if self.sheet else ""
        rows = "、".join(str(r) for r in self.rows)
        return f"{self.file}{sheet} 第{rows}行"


def _json_value(value: object) -> object:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    return value


@dataclass
class Figure:
    """One value of the report: its typed value (the one truth), its text, rule and sources.

    ``value`` is what checks, charts and ``figures.json`` read; ``text`` is always
    made from it by :func:`toolkit.report.formatting.figure_text` with the figure's ``form``,
    also after an override. How a missing value looks in Word is the render layer's
    business.
    """

    key: str
    label: str
    rule: str
    value: object = None
    text: str | None = None
    sources: list[Source] = field(default_factory=list)
    missing: str | None = None  # why the data cannot fill it
    warnings: list[str] = field(default_factory=list)
    override: dict[str, object] | None = None  # the audit entry, plus what the data gave
    form: fmt.Form = field(default_factory=lambda: fmt.Form("text"))
    #: rows the value was computed without because a cell it adds up was blank: the figure is
    #: incomplete (需核实) until the cells are filled or a reviewer corrects the value
    blanks: list[Source] = field(default_factory=list)

    @property
    def incomplete(self) -> bool:
        """Computed over blank cells and not corrected since: a final report may not carry it."""
        return bool(self.blanks) and self.text is not None and not self.override

    @property
    def status(self) -> str:
        if self.text is None:
            return "missing"
        if self.override:
            return "overridden"
        return "warning" if self.warnings else "ok"

    def __str__(self) -> str:
        return self.text if self.text is not None else MISSING_MARK.format(self.label)

    def to_dict(self) -> dict[str, Any]:
        override = None
        if self.override:
            override = {k: _json_value(v) for k, v in self.override.items()}
        return {
            "key": self.key,
            "label": self.label,
            "kind": self.form.kind,
            "value": _json_value(self.value),
            "text": self.text,
            "status": self.status,
            "rule": self.rule,
            "missing": self.missing,
            "warnings": self.warnings,
            "override": override,
            "sources": [_source_dict(s) for s in self.sources],
            "blanks": [_source_dict(s) for s in self.blanks],
        }


def _source_dict(source: Source) -> dict[str, Any]:
    return {"table": source.table, "file": source.file, "sheet": source.sheet, "rows": list(source.rows)}


Row = dict[str, Any]  # one ledger row: canonical columns plus _file, _sheet, _row


#: Types whose values are never a missing marker (NaT is a datetime, so dates are checked by exact type).
_NEVER_MISSING = frozenset({str, int, bool, date, list, tuple})


def _clean(row: Row) -> Row:
    """A record with pandas' missing markers (NaN, NaT, NA) as None, so none reaches a figure."""
    return {k: (None if v is not None and type(v) not in _NEVER_MISSING and pd.isna(v) else v) for k, v in row.items()}


@dataclass
class Scope:
    """The rows of one bureau and one year (plain records, earliest first), and its parameters.

    Rows are records rather than data frames: a report reads a few dozen rows, where
    Python lists are faster than pandas' per-call overhead.
    """

    bureau: str
    year: int
    params: BureauParams
    activities: list[Row]
    problems: list[Row]
    finance: dict[str, Row]  # indicator → row
    #: the date given (``--date``), else the parameter file's, else today's while the year is
    #: recent (:func:`~toolkit.data.params.default_signature`); None when there is none
    signed_on: date | None
    _kinds: dict[tuple[str, str | None], list[Row]] = field(default_factory=dict, repr=False)
    #: the ledgers the rows came from, for the tables an office added (``rows``)
    ledgers: Ledgers | None = field(default=None, repr=False, compare=False)
    _rows: dict[str, list[Row]] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, ledgers: Ledgers, params: BureauParams, year: int, signed_on: date | None = None) -> Scope:
        def mine(table: str) -> list[Row]:
            return ledgers.records(table, params.code)

        scope = cls.from_records(params, year, mine("activities"), mine("problems"), mine("finance"), signed_on)
        scope.ledgers = ledgers
        return scope

    def without_rows(self) -> Scope:
        """This bureau-year's scope holding no rows: for a report kept once its figures are made
        (an overview of a province keeps a thousand); nothing may be computed from it."""
        return replace(self, activities=[], problems=[], finance={}, ledgers=None, _kinds={}, _rows={})

    def rows(self, table: Table) -> list[Row]:
        """The year's rows of any table, base or added, earliest first (ties in ledger order)."""
        if table.name == "activities":
            return self.activities
        if table.name == "problems":
            return self.problems
        if table.name == "finance":
            return list(self.finance.values())
        if table.name not in self._rows:
            records = self.ledgers.records(table.name, self.bureau) if self.ledgers is not None else []
            self._rows[table.name] = _in_year(records, table.year_column, self.year)
        return self._rows[table.name]

    @classmethod
    def from_records(
        cls,
        params: BureauParams,
        year: int,
        activities: list[Row],
        problems: list[Row],
        finance: list[Row],
        signed_on: date | None = None,
    ) -> Scope:
        """The scope from one bureau's rows of each table, of any year (a table of many bureaus
        groups the ledgers' records once instead of filtering the frames per bureau)."""

        def dated(rows: list[Row], date_column: str) -> list[Row]:
            rows = [r for r in map(_clean, rows) if r[date_column] is not None and r[date_column].year == year]
            return sorted(rows, key=lambda r: (r[date_column], r["_file"], r["_sheet"], r["_row"]))

        return cls(
            params.code,
            year,
            params,
            dated(activities, "date"),
            dated(problems, "raised_on"),
            {r["indicator"]: r for r in map(_clean, finance) if r["year"] == year},
            signed_on or params.signed_on(year) or default_signature(year, date.today()),
        )

    def kind(self, kind: str, audience: str | None = None) -> list[Row]:
        """Activities of one kind (and audience), earliest first, ties in ledger order."""
        key = (kind, audience)
        if key not in self._kinds:
            self._kinds[key] = [
                r for r in self.activities if r["kind"] == kind and (audience is None or r["audience"] == audience)
            ]
        return self._kinds[key]


def _in_year(records: list[Row], column: Column, year: int) -> list[Row]:
    """Rows whose date (or year) column falls in ``year``, earliest first, ties in ledger order."""
    rows = [_clean(r) for r in records]
    if column.type == "date":
        rows = [r for r in rows if r[column.name] is not None and r[column.name].year == year]
        return sorted(rows, key=lambda r: (r[column.name], r["_file"], r["_sheet"], r["_row"]))
    rows = [r for r in rows if r[column.name] is not None and int(r[column.name]) == year]
    return sorted(rows, key=lambda r: (r["_file"], r["_sheet"], r["_row"]))


def sources_of(table: str, rows: list[Row]) -> list[Source]:
    """Group rows by file and sheet, keeping spreadsheet row numbers."""
    groups: dict[tuple[str, str], list[int]] = {}
    for r in rows:
        groups.setdefault((r["_file"], r["_sheet"]), []).append(int(r["_row"]))
    return [Source(table, f, s, tuple(sorted(n))) for (f, s), n in sorted(groups.items())]


# --- rule kinds -----------------------------------------------------------------

Result = tuple[object, list[Source], str | None]  # value, sources, missing reason


@dataclass(frozen=True)
class Blanks:
    """A computed value (a rule's result) that left out rows whose ``column`` was blank.

    The figure is written, marked 需核实 with a warning naming the rows, and refused in a
    final report (:attr:`Figure.incomplete`).
    """

    value: object
    column: str  # the column's header, for the message
    rows: list[Source]

    def warning(self) -> str:
        count = sum(len(s.rows) for s in self.rows)
        where = "；".join(map(str, self.rows))
        return f"{BLANKS_NOTE}有{count}行的“{self.column}”为空，未计入合计（{where}），请补填或修改"


def added_up(value: object, column: str, blank_rows: list[Source]) -> object:
    """``value`` as a rule returns it: itself, or :class:`Blanks` when rows were left out for a blank cell."""
    return Blanks(value, column, blank_rows) if blank_rows else value


@dataclass(frozen=True)
class Spec:
    """One blank of a report: its key and label, its rule in words, and how it is computed and written."""

    key: str
    label: str
    rule: str
    compute: Callable[[Scope], Result]
    kind: fmt.Kind = "text"
    unit: str = ""
    full: bool = False
    #: a figure computed from other figures of the report (this year's and last year's), after
    #: corrections: given both, its value; ``compute`` then only says it is not computed yet
    derive: Callable[[Figures, Figures | None], Result] | None = None

    def form(self, year: int | None) -> fmt.Form:
        return fmt.Form(self.kind, self.unit, year, self.full)

    def figure(self, scope: Scope) -> Figure:
        return self.made(self.compute(scope), scope.year)

    def made(self, result: Result, year: int) -> Figure:
        """The figure of a computed (or derived) result."""
        value, sources, missing = result
        form = self.form(year)
        if missing is not None:
            return Figure(self.key, self.label, self.rule, None, None, sources, missing, form=form)
        blanks = value if isinstance(value, Blanks) else None
        if blanks is not None:
            value = blanks.value
        where = sources[0].file if sources else ""
        text = fmt.figure_text(value, form, label=self.label, where=where)
        figure = Figure(self.key, self.label, self.rule, value, text, sources, None, form=form)
        if blanks is not None:
            figure.blanks = list(blanks.rows)
            figure.warnings.append(blanks.warning())
        return figure


class Figures(dict[str, Figure]):
    """Figures of one bureau-year by key, in catalogue order."""

    def __init__(self, bureau: str, year: int, figures: Iterable[Figure], report: str = "report"):
        super().__init__((f.key, f) for f in figures)
        self.bureau, self.year, self.report = bureau, year, report
        #: tables with only a few stray rows this year (an activity dated into the next
        #: January): nothing computed from them is compared against (:meth:`own`)
        self.thin: frozenset[str] = frozenset()

    def missing(self) -> list[Figure]:
        return [f for f in self.values() if f.text is None]

    def incomplete(self) -> list[Figure]:
        """Figures computed over blank cells (需核实) that no reviewer has corrected."""
        return [f for f in self.values() if f.incomplete]

    def own(self, key: str) -> Figure | None:
        """The figure when this year's own data give it, for a comparison with another year:
        a value corrected in review, or computed from ledger rows, none of a thin table; else None."""
        f = self.get(key)
        if f is None or f.text is None:
            return None
        if f.override:
            return f
        if not f.sources:
            return None
        if any(s.table == "parameters" or s.table in self.thin for s in f.sources):
            return None
        return f

    def to_dict(self) -> dict[str, Any]:
        return {"bureau": self.bureau, "year": self.year, "figures": [f.to_dict() for f in self.values()]}


def compute_figures(scope: Scope, catalogue: Iterable[Spec], report: str) -> Figures:
    """Every figure of a report (its definition's ``specs``) for one bureau and year."""
    return Figures(scope.bureau, scope.year, (spec.figure(scope) for spec in catalogue), report)


def derive_figures(figures: Figures, previous: Figures | None, catalogue: Iterable[Spec]) -> None:
    """Compute the figures made from other figures (a change against last year), in place.

    Called once every figure and last year's are final (corrections applied); a derived
    figure a reviewer corrected keeps the correction.
    """
    for spec in catalogue:
        if spec.derive is None or spec.key not in figures or figures[spec.key].override:
            continue
        figures[spec.key] = spec.made(spec.derive(figures, previous), figures.year)
