"""What stands between the data and a final report: one decision for render, run and batch.

A final report (``--final``) is refused while anything it depends on is unresolved:

- ledger content that looks like data but was not read (a :class:`Notice` with ``unread``);
- rows of the report's year whose bureau code has no parameter file (no report takes them,
  and nobody can say whose they are, so they hold every report of that year);
- figures that are missing, or computed over blank cells (需核实) and not corrected since.

A draft is written all the same and says so: :meth:`FinalGate.sections` are what the
commands print and what :class:`~toolkit.errors.FinalRefusedError` lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from toolkit.data.bureau_codes import unknown_code_rows
from toolkit.data.ledgers import Ledgers
from toolkit.data.problems import CellProblem, Notice
from toolkit.errors import FinalRefusedError, MissingValuesError
from toolkit.report.figures import BLANKS_NOTE, Figure, Figures


@dataclass
class FinalGate:
    """Everything that blocks a final report of one year (and, with figures, one bureau)."""

    year: int
    bureau: str = ""
    unread: list[Notice] = field(default_factory=list)
    codes: list[CellProblem] = field(default_factory=list)
    missing: list[Figure] = field(default_factory=list)
    incomplete: list[Figure] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return bool(self.unread or self.codes or self.missing or self.incomplete)

    def ledger_sections(self) -> list[tuple[str, list[str]]]:
        """What in the ledgers blocks the year's final reports: (heading, located items)."""
        out = []
        if self.unread:
            out.append(
                (
                    f"台账中有{len(self.unread)}处内容像是数据但未读取（请改正或另存为 .xlsx 后重试）：",
                    [str(n) for n in self.unread],
                )
            )
        if self.codes:
            out.append(
                (
                    f"台账中{self.year}年有{len(self.codes)}行的单位代码没有参数文件，这些行不会进入任何报告：",
                    [str(p) for p in self.codes],
                )
            )
        return out

    def figure_sections(self) -> list[tuple[str, list[str]]]:
        """What in the figures blocks this report: missing values, sums over blank cells."""
        out = []
        if self.incomplete:
            items = [
                f"{f.label}：{'；'.join(w for w in f.warnings if w.startswith(BLANKS_NOTE))}" for f in self.incomplete
            ]
            out.append((f"报告中有{len(self.incomplete)}项数据需核实（合计中有空白的单元格）：", items))
        if self.missing:
            out.append((f"报告缺少{len(self.missing)}项数据：", [f"{f.label}：{f.missing}" for f in self.missing]))
        return out

    def sections(self) -> list[tuple[str, list[str]]]:
        return self.ledger_sections() + self.figure_sections()

    def refuse(self) -> None:
        """Raise, listing everything that blocks, when anything does; a lack of values alone as before."""
        if not self.blocked:
            return
        if self.missing and not (self.unread or self.codes or self.incomplete):
            raise MissingValuesError(self.bureau, self.year, [f"{f.label}：{f.missing}" for f in self.missing])
        what = f"单位“{self.bureau}”{self.year}年的报告" if self.bureau else f"{self.year}年的报告"
        raise FinalRefusedError(what, self.sections())


def ledger_gate(ledgers: Ledgers, known_codes: Iterable[str], year: int) -> FinalGate:
    """What in the ledgers blocks every final report of ``year``: unread content, rows of unknown codes."""
    return FinalGate(
        int(year),
        unread=[n for n in ledgers.notices if n.unread],
        codes=unknown_code_rows(ledgers, known_codes, int(year)),
    )


def figure_gate(figures: Figures) -> FinalGate:
    """What in one report's figures blocks it: missing values and uncorrected sums over blank cells."""
    return FinalGate(figures.year, figures.bureau, missing=figures.missing(), incomplete=figures.incomplete())


def final_gate(figures: Figures, ledgers: Ledgers | None, known_codes: Iterable[str]) -> FinalGate:
    """Everything that blocks this final report: its figures, and the ledgers it was read from
    (``None`` when a batch checked them already) against the codes that have a parameter file."""
    gate = figure_gate(figures)
    if ledgers is not None:
        ledger = ledger_gate(ledgers, known_codes, figures.year)
        gate.unread, gate.codes = ledger.unread, ledger.codes
    return gate
