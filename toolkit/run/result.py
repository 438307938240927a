"""What one notebook run produced, and its record beside the outputs (``result.json``).

Light on purpose: the batch's main process reads and writes records and results without
importing what runs notebooks (papermill, nbconvert), which only its workers need.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from toolkit.outputs import NOTEBOOK, RESULT, atomic_write, keep_previous
from toolkit.record import describe


@dataclass
class RunResult:
    """What one notebook run produced, sent back from batch workers as a value."""

    bureau: str
    year: int
    ok: bool = False
    error: str = ""
    missing: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)  # since the previous run: "label：old→new（why）"
    year_changes: list[str] = field(default_factory=list)  # against last year
    seconds: float = 0.0
    skipped: bool = False
    folder: str = ""
    fingerprint: str = ""
    memory_mb: dict[str, float] = field(default_factory=dict)
    #: name → {"size", "sha256"} of every other output of the run, checked before it is reused
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    interrupted: bool = False
    #: why the bureau was left out on purpose (a final report asked for only once reviewed)
    held: str = ""
    #: the sign-off state of the report written (待核对, 已核对, 已定稿) and, in full, who/when/what moved
    signoff: str = ""
    signoff_detail: str = ""
    #: why report.pdf was asked for and not made (the docx is unaffected)
    pdf_error: str = ""
    #: what in the ledgers a final report would be refused for (a heading, then its items), shown with a draft
    ledger_notes: list[list[str]] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.held:
            return "held"
        return "ok" if self.ok else "interrupted" if self.interrupted else "failed"

    def describe(self) -> str:
        head = f"{self.bureau} {self.year}年："
        if not self.ok:
            return head + f"失败。{self.error}"
        lines = [head + f"完成（{self.seconds:.1f}秒），文件在 {self.folder}"]
        lines += [f"  {line}" for line in describe(self.missing, self.warnings, self.ledger_notes)]
        if self.pdf_error:
            lines.append(f"  PDF 未生成：{self.pdf_error}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> RunResult:
        return cls(**{k: v for k, v in record.items() if k in cls.__dataclass_fields__})


def clear(folder: Path) -> None:
    """Remove the record, then the outputs, of a bureau's earlier run: none of them may outlive it.

    Its figures are kept aside (hidden) so the new run can say what changed since.
    """
    (folder / RESULT).unlink(missing_ok=True)
    for figures_json in folder.glob("*figures.json"):
        if not figures_json.name.startswith("."):  # the copies kept aside are not kept aside again
            keep_previous(folder, figures_json.name)
    for path in folder.iterdir():
        # outputs, and temporary files a killed run left half written
        if path.is_file() and (not path.name.startswith(".") or path.name.endswith(".tmp")):
            path.unlink(missing_ok=True)


def output_files(folder: Path) -> list[Path]:
    """A bureau folder's outputs, by name: every file but its record and the hidden ones."""
    return [p for p in sorted(folder.iterdir()) if p.is_file() and p.name != RESULT and not p.name.startswith(".")]


def record(result: RunResult, folder: Path) -> None:
    """Write ``result.json`` last, with the size and SHA-256 of every other output in ``folder``."""
    result.files = {path.name: file_digest(path) for path in output_files(folder)}
    atomic_write(folder / RESULT, json.dumps(result.to_dict(), ensure_ascii=False, indent=2).encode("utf-8"))


def file_digest(path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def recorded(folder: Path) -> RunResult | None:
    """The result the last run left in ``folder``, if its record is readable."""
    try:
        data = json.loads((folder / RESULT).read_text(encoding="utf-8"))
        return RunResult.from_dict(data)
    except (OSError, ValueError, TypeError):
        return None


def complete(folder: Path, result: RunResult) -> bool:
    """Whether every file the record lists is there with its recorded size and digest."""
    if not result.files or NOTEBOOK not in result.files:
        return False
    for name, expected in result.files.items():
        path = folder / name
        try:
            if path.stat().st_size != expected.get("size") or file_digest(path) != expected:
                return False
        except OSError:
            return False
    return True
