"""The validated ledgers handed from ``validate`` to ``figures``.

Kept apart from ``validate`` so that reading a cached copy (a batch validates once and
every notebook reads the result) does not import the validation library.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

import pandas as pd


@dataclass
class Ledgers:
    """The three validated tables, typed, each row keeping its source location."""

    activities: pd.DataFrame
    problems: pd.DataFrame
    finance: pd.DataFrame

    def bureaus(self) -> list[str]:
        if getattr(self, "_bureaus", None) is None:
            self._bureaus = self._find_bureaus()
        return self._bureaus

    def _find_bureaus(self) -> list[str]:
        codes = set()
        for frame in (self.activities, self.problems, self.finance):
            codes.update(frame["bureau"].dropna())
        return sorted(codes)

    def years(self) -> list[int]:
        if getattr(self, "_years", None) is None:
            self._years = self._find_years()
        return self._years

    def _find_years(self) -> list[int]:
        years = {d.year for d in self.activities["date"].dropna()}
        years |= {d.year for d in self.problems["raised_on"].dropna()}
        years |= set(int(y) for y in self.finance["year"].dropna())
        return sorted(years)

    def save(self, path: Path) -> None:
        Path(path).write_bytes(pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL))

    @staticmethod
    def read(path: Path) -> Ledgers:
        """A copy saved by :meth:`save` in this batch (a file zongjie wrote itself)."""
        return pickle.loads(Path(path).read_bytes())
