"""What changed: a bureau's figures against the previous run and against last year.

The previous run is read from the ``figures.json`` it wrote (kept aside as
``.previous.figures.json`` when a new run clears the folder), so a reviewer sees which
figures a new batch changed, old → new, and why: the ledger data, a correction made in
review, or the report's template (a figure added or dropped). Last year is compared
figure by figure, wherever last year's own data give the figure (see ``Figures.own``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from toolkit.outputs import previous_path, report_files
from toolkit.report.figures import Figures

DEFAULT_FILES = report_files()

#: One figure as ``figures.json`` holds it (see :meth:`~toolkit.report.figures.Figure.to_dict`).
FigureRecord = dict[str, Any]

WHY = {"data": "台账数据变化", "override": "人工修改", "template": "报告模板变化"}


@dataclass(frozen=True)
class Change:
    key: str
    label: str
    old: str
    new: str
    why: str  # a key of WHY, or "" for a year-on-year difference

    def __str__(self) -> str:
        reason = f"（{WHY[self.why]}）" if self.why else ""
        return f"{self.label}：{self.old}→{self.new}{reason}"


def read_previous(folder: Path, json_name: str = DEFAULT_FILES.figures) -> dict[str, FigureRecord] | None:
    """The previous run's figures by key: the copy kept aside, else the ``figures.json`` still in place."""
    for path in (previous_path(folder, json_name), Path(folder) / json_name):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and isinstance(data.get("figures"), list):
            return {f["key"]: f for f in data["figures"] if isinstance(f, dict) and "key" in f}
    return None


def _shown(text: object) -> str:
    return "【待补充】" if text is None else str(text)


def _correction(entry: FigureRecord) -> object:
    override = entry.get("override")
    return override.get("new") if override else None


def since_last_run(figures: Figures, previous: dict[str, FigureRecord] | None) -> list[Change]:
    """Figures whose printed text differs from the previous run's, with the reason."""
    if previous is None:
        return []
    found = []
    current = {k: f.to_dict() for k, f in figures.items()}
    for key, now in current.items():
        before = previous.get(key)
        if before is None:
            found.append(Change(key, now["label"], "（无此项）", _shown(now["text"]), "template"))
            continue
        if now["text"] == before.get("text"):
            continue
        why = "override" if _correction(now) != _correction(before) else "data"
        found.append(Change(key, now["label"], _shown(before.get("text")), _shown(now["text"]), why))
    for key, before in previous.items():
        if key not in current:
            found.append(Change(key, before.get("label") or key, _shown(before.get("text")), "（已删去）", "template"))
    return found


def _number(text: object) -> Decimal | None:
    try:
        return Decimal(str(text))
    except (InvalidOperation, ValueError):
        return None


def from_last_year(figures: Figures, previous: Figures | None) -> list[tuple[Change, Decimal | None]]:
    """Numeric figures that differ from last year's, each with its relative change (None when last year is 0)."""
    if previous is None:
        return []
    found = []
    for key, f in figures.items():
        before = previous.own(key)
        if key in ("year",) or before is None or f.text is None:
            continue
        now, then = _number(f.value), _number(before.value)
        if now is None or then is None or isinstance(f.value, bool) or now == then:
            continue
        change = (now - then) / then if then else None
        found.append((Change(key, f.label, str(before), f.text, ""), change))
    return found
