"""The validated ledgers handed from ``validate`` to ``figures``.

Kept apart from ``validate`` so that reading a cached copy (a batch validates once and
every notebook reads the result) does not import the validation library.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import zlib
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from toolkit.data.contract import BASE, Contract
from toolkit.data.problems import Notice
from toolkit.errors import NotFoundError
from toolkit.outputs import atomic_write

#: Rows a year needs (activities, or distinct finance indicators) to count as a report year.
REPORT_MINIMUM = 5
TABLE_NAMES = ("activities", "problems", "finance")

#: One ledger row as a plain record: canonical column → cell value, plus _file, _sheet, _row.
Record = dict[str, Any]
#: Per table: each bureau's row positions, and each column as an array.
Columns = tuple[dict[str, np.ndarray], dict[str, np.ndarray]]


@dataclass
class Ledgers:
    """The validated tables, typed, each row keeping its source location.

    The three base tables are attributes; the tables an office added in ``contract.yaml``
    are in ``extra`` by their key. :meth:`frame` reads either by name.
    """

    activities: pd.DataFrame
    problems: pd.DataFrame
    finance: pd.DataFrame
    notices: list[Notice] = field(default_factory=list)  # what the loader skipped on purpose
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)
    contract: Contract = BASE

    @property
    def table_names(self) -> tuple[str, ...]:
        """Every table's name: the base three, then those the contract adds."""
        return tuple(t.name for t in self.contract.tables)

    def frame(self, table: str) -> pd.DataFrame:
        """One table's rows (every bureau, every year) by the table's name."""
        if table in TABLE_NAMES:
            frame: pd.DataFrame = getattr(self, table)
            return frame
        return self.extra[table]

    @cached_property
    def bureaus(self) -> list[str]:
        """Every bureau code in any table, sorted."""
        codes = set()
        for name in self.table_names:
            codes.update(self.frame(name)["bureau"].dropna())
        return sorted(codes)

    @cached_property
    def years(self) -> list[int]:
        """Every year any row belongs to, sorted."""
        return sorted(set().union(*self._years_by_bureau.values()))

    @cached_property
    def _years_by_bureau(self) -> dict[str, set[int]]:
        out: dict[str, set[int]] = {}
        for table in self.contract.tables:
            frame, column = self.frame(table.name), table.year_column
            for code, when in zip(frame["bureau"], frame[column.name]):
                if code is not None and when is not None and when == when:
                    out.setdefault(code, set()).add(when.year if column.type == "date" else int(when))
        return out

    @cached_property
    def sources(self) -> list[tuple[str, str, str, int, list[str]]]:
        """(table, file, sheet, rows, bureau codes) for each file and sheet rows were read from.

        Computed once: a batch kernel shows it for every notebook on the same ledgers.
        """
        out = []
        for name in self.table_names:
            frame = self.frame(name)
            if frame.empty:
                continue
            for (file, sheet), group in frame.groupby(["_file", "_sheet"], sort=True):
                out.append((name, file, sheet, len(group), sorted(set(group["bureau"]))))
        return out

    def years_of(self, bureau: str) -> list[int]:
        """The years a bureau has any row in."""
        return sorted(self._years_by_bureau.get(bureau, ()))

    def require_year(self, year: int, bureau: str | None = None) -> None:
        """Raise, naming the years that do have data, when ``year`` has none (for ``bureau``)."""
        years = self.years if bureau is None else self.years_of(bureau)
        if int(year) in years:
            return
        have = "、".join(f"{y}年" for y in years) or "无"
        who = "台账" if bureau is None else f"台账中单位“{bureau}”"
        raise NotFoundError(f"{who}没有{year}年的任何数据，无法生成{year}年的报告。有数据的年度：{have}。")

    @cached_property
    def _columns(self) -> dict[str, Columns]:
        """Per table: each bureau's row positions (grouped once), and each column as an array."""
        out = {}
        for name in self.table_names:
            frame = self.frame(name)
            arrays = {}
            for column in frame.columns:
                series = frame[column]
                plain = isinstance(series.dtype, np.dtype) and series.dtype.kind in "iufbO"
                # numpy boxes these kinds to the Python values to_dict gives; pandas boxes the others once
                arrays[column] = series.to_numpy() if plain else _objects(series.tolist())
            out[name] = (frame.groupby("bureau", sort=False).indices, arrays)
        return out

    def records(self, table: str, bureau: str) -> list[Record]:
        """One bureau's rows of ``table`` as plain records, as ``to_dict("records")`` gives them.

        Positions are grouped once per table, so a table of a thousand bureaus costs one pass
        instead of filtering every frame for each bureau.
        """
        groups, arrays = self._columns[table]
        positions = groups.get(bureau)
        if positions is None:
            return []
        columns = list(arrays)
        values = [arrays[c][positions].tolist() for c in columns]
        return [dict(zip(columns, row)) for row in zip(*values)]

    def report_years(self, bureau: str | None = None, minimum: int = REPORT_MINIMUM) -> list[int]:
        """Years that hold a report's worth of data: at least ``minimum`` activities or finance indicators.

        A few stray rows (an activity dated into the next January, one early finance
        entry) do not make a year: it is neither offered for review nor compared against.
        """
        if bureau is not None:  # from the bureau's records: a thousand bureaus each filter nothing
            acts, fin = self.records("activities", bureau), self.records("finance", bureau)
            activity_years = Counter(r["date"].year for r in acts if not pd.isna(r["date"]))
            names: dict[int, set[str]] = {}
            for r in fin:
                if not pd.isna(r["year"]) and not pd.isna(r["indicator"]):
                    names.setdefault(int(r["year"]), set()).add(r["indicator"])
            indicators = {y: len(n) for y, n in names.items()}
        else:
            activity_years = Counter(d.year for d in self.activities["date"].dropna())
            finance = self.finance.dropna(subset=["year"])
            indicators = finance.groupby("year")["indicator"].nunique().to_dict()
        years = {y for y, n in activity_years.items() if n >= minimum}
        years |= {int(y) for y, n in indicators.items() if n >= minimum}
        return sorted(years)

    def of(self, bureau: str) -> Ledgers:
        """One bureau's rows of every table and every year, with the loader's notices.

        A batch hands each bureau's notebook this copy rather than every bureau's rows, so
        nothing of another bureau can reach its report, and :meth:`digests` covers all of it.
        """
        frames = {}
        for name in self.table_names:
            frame = self._by_bureau[name].get(bureau)
            frames[name] = self.frame(name).iloc[:0] if frame is None else frame.reset_index(drop=True)
        extra = {t.name: frames[t.name] for t in self.contract.extra}
        base = (frames["activities"], frames["problems"], frames["finance"])
        return Ledgers(*base, list(self.notices), extra, self.contract)

    @cached_property
    def _by_bureau(self) -> dict[str, dict[str, pd.DataFrame]]:
        """Per table, each bureau's rows in ledger order (split in one pass, not filtered per bureau)."""
        return {name: dict(iter(self.frame(name).groupby("bureau", sort=False))) for name in self.table_names}

    def digests(self) -> dict[str, str]:
        """A digest of each bureau's rows, by bureau: what :meth:`of` hands its report.

        Every table and year, each row with its file, sheet and row number (``figures.json``
        names them), in ledger order, each value with its type (``1`` is not ``"1"``, a
        ``Decimal`` keeps its exponent, since ``1.50`` and ``1.5`` print differently). The
        notices, shared by every bureau, are in :meth:`notices_digest`.
        """
        return dict(self._digests)

    @cached_property
    def _digests(self) -> dict[str, str]:
        parts: dict[str, list[bytes]] = {}
        for name in self.table_names:
            groups, columns = self._canonical[name]
            header = json.dumps([name, list(columns)]).encode()
            for code, positions in groups.items():
                values = json.dumps([column[positions].tolist() for column in columns.values()], ensure_ascii=False)
                parts.setdefault(code, []).extend((header, values.encode("utf-8", "surrogatepass")))
        return {code: hashlib.sha256(b"\n".join(p)).hexdigest() for code, p in sorted(parts.items())}

    def notices_digest(self) -> str:
        """A digest of the notices (what the loader skipped), which every notebook shows."""
        notices = [asdict(n) for n in self.notices]
        return hashlib.sha256(json.dumps(notices).encode()).hexdigest()

    def digest(self) -> str:
        """A digest of everything: every bureau's rows and the notices (the overview shows them all)."""
        return hashlib.sha256(json.dumps([self.notices_digest(), self._digests]).encode()).hexdigest()

    @cached_property
    def _canonical(self) -> dict[str, Columns]:
        """Per table: the bureaus' row positions, and each column as JSON writes it exactly.

        A column of strings, integers, booleans and blanks is taken as it is; any other
        (dates, decimals) is written as text naming each value's type (:func:`_tagged`).
        """
        out = {}
        for name in self.table_names:
            groups, arrays = self._columns[name]
            columns = {}
            for column, array in arrays.items():
                values = array.tolist()
                exact = set(map(type, values)) <= _AS_THEY_ARE
                columns[column] = array if exact else np.array(_tagged(values), dtype=object)
            out[name] = (groups, columns)
        return out

    def __getstate__(self) -> dict[str, object]:
        """The tables and notices only: what is cached on the object (groupings, digests) is not pickled."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def save(self, path: Path) -> None:
        """Written whole (a batch killed meanwhile leaves the last copy, never half of one)."""
        atomic_write(Path(path), packed(self))

    @staticmethod
    def read(path: Path) -> Ledgers:
        """A copy saved by :meth:`save` in this batch (a file zongjie wrote itself)."""
        ledgers = read_cached(path)
        if not isinstance(ledgers, Ledgers):
            raise TypeError(f"{path} holds the ledgers bureau by bureau (a Shelf), not whole")
        return ledgers

    def shelve(self) -> Shelf:
        """The ledgers bureau by bureau, each bureau's copy (:meth:`of`) pickled apart."""
        parts = {code: packed(self.of(code)) for code in self.bureaus}
        return Shelf(parts, list(self.notices), self.sources, self.contract)


@dataclass
class Shelf:
    """The ledgers split by bureau, each bureau's rows pickled apart, to be read one bureau at a time.

    What a batch's overview reads: it computes every bureau's report in turn, so a province's
    rows never sit in one kernel at once, only these bytes and one bureau's rows. The same
    bytes are each bureau's own copy (:func:`toolkit.run.batch.own_rows`).
    """

    parts: dict[str, bytes]
    notices: list[Notice]
    sources: list[tuple[str, str, str, int, list[str]]]
    contract: Contract = BASE

    @property
    def bureaus(self) -> list[str]:
        return sorted(self.parts)

    def of(self, bureau: str) -> Ledgers:
        """One bureau's rows as :meth:`Ledgers.of` gave them."""
        ledgers: Ledgers = unpacked(self.parts[bureau])
        return ledgers

    def save(self, path: Path) -> None:
        atomic_write(Path(path), pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL))


def read_cached(path: Path) -> Ledgers | Shelf:
    """Ledgers or a Shelf saved in this batch (a file zongjie wrote itself)."""
    cached: Ledgers | Shelf = unpacked(Path(path).read_bytes())
    return cached


def packed(value: object) -> bytes:
    """``value`` pickled and compressed (zlib's fastest level: a quarter of the bytes, ~0.1 ms a bureau),
    so a province's copies are small on a full disk and on the wire to a cluster."""
    return zlib.compress(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), 1)


def unpacked(data: bytes) -> Any:
    """What :func:`packed` (or a plain pickle, which starts with 0x80, never zlib's 0x78) holds."""
    return pickle.loads(zlib.decompress(data) if data[:1] == b"\x78" else data)


#: Types JSON writes exactly and tells apart (a code ``"1"`` from a count ``1``, ``True`` from ``1``).
_AS_THEY_ARE = frozenset({str, int, bool, type(None)})


def _tagged(values: list[object]) -> list[str]:
    """Each value as text that names its type: a date by its day number, a Decimal as written, else its repr."""
    out = []
    for v in values:
        kind = type(v)
        if v is None:
            out.append("n")
        elif kind is date and isinstance(v, date):  # exactly a date: a datetime keeps its repr
            out.append(f"d{v.toordinal()}")
        elif kind is Decimal:
            out.append(f"m{v}")
        elif kind is str:
            out.append(f"s{v}")
        elif kind is int:
            out.append(f"i{v}")
        else:
            out.append(f"r{kind.__module__}.{kind.__qualname__}:{v!r}")
    return out


def _objects(values: list[object]) -> np.ndarray:
    """A 1-d object array holding ``values`` as they are (sequences stay single cells)."""
    array = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        array[i] = value
    return array
