"""The validated ledgers handed from ``validate`` to ``figures``.

Kept apart from ``validate`` so that reading a cached copy (a batch validates once and
every notebook reads the result) does not import the validation library.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd


@dataclass
class Ledgers:
    """The three validated tables, typed, each row keeping its source location."""

    activities: pd.DataFrame
    problems: pd.DataFrame
    finance: pd.DataFrame

    @cached_property
    def bureaus(self) -> list[str]:
        """Every bureau code in any table, sorted."""
        codes = set()
        for frame in (self.activities, self.problems, self.finance):
            codes.update(frame["bureau"].dropna())
        return sorted(codes)

    @cached_property
    def years(self) -> list[int]:
        """Every year any row belongs to, sorted."""
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
