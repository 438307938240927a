"""One run of a notebook, described once: what the CLI builds, the batch plans with,
the worker receives and the notebook's parameters cell is written from.

Each field says (in its ``metadata``) whether it is a notebook parameter and whether it
takes part in the fingerprint that decides "unchanged, skip". Adding an option is three
edits: a field here, a line in the notebook's parameters cell, a flag in ``cli``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import Any

from toolkit.codes import check_code
from toolkit.data.params import check_signature_date
from toolkit.errors import ZongjieError


def _meta(notebook: bool = True, fingerprint: bool = False) -> dict[str, bool]:
    return {"notebook": notebook, "fingerprint": fingerprint}


@dataclass(frozen=True, slots=True)
class RunSpec:
    """Everything one report run depends on besides the contents of its input files."""

    data_dir: Path = field(metadata=_meta())
    params_dir: Path = field(metadata=_meta())
    year: int = field(metadata=_meta(fingerprint=True))
    out_dir: Path = field(default=Path("output"), metadata=_meta())
    bureau: str = field(default="", metadata=_meta(fingerprint=True))
    final: bool = field(default=False, metadata=_meta(fingerprint=True))
    #: the Word template; ``None`` for the one shipped with zongjie (its bytes are an input)
    template: Path | None = field(default=None, metadata=_meta())
    signed_on: date | None = field(default=None, metadata=_meta(fingerprint=True))
    #: the batch's validated copy of the ledgers, read instead of the ledger files
    ledger_cache: Path | None = field(default=None, metadata=_meta())
    #: also write report.pdf (LibreOffice) beside report.docx, and show its first page
    pdf: bool = field(default=False, metadata=_meta(fingerprint=True))
    #: seconds for the whole notebook
    timeout: int = field(default=600, metadata=_meta(notebook=False, fingerprint=True))
    #: the report definition (``templates/<name>/``, or a definition folder's path)
    report: str = field(default="report", metadata=_meta(fingerprint=True))

    def __post_init__(self) -> None:
        if self.bureau:
            check_code(self.bureau)
        if not 1900 <= int(self.year) <= 2100:
            raise ZongjieError(f"年度应为四位数字，收到“{self.year}”。")
        if self.signed_on is not None:
            check_signature_date(self.signed_on, int(self.year))

    @classmethod
    def from_options(cls, options: Any, **overrides: Any) -> RunSpec:
        """A spec from parsed command-line options (an ``argparse.Namespace``) or any object
        with attributes named like the fields; absent attributes keep their defaults."""
        values = {f.name: getattr(options, f.name) for f in fields(cls) if hasattr(options, f.name)}
        values = {k: v for k, v in values.items() if v is not None}
        return cls(**{**values, **overrides}).resolved()

    def resolved(self) -> RunSpec:
        """The same run with every path absolute, so the kernel's working folder does not matter."""
        paths: dict[str, Any] = {
            f.name: Path(value).resolve()
            for f in fields(self)
            if isinstance(value := getattr(self, f.name), str | Path) and f.name.endswith(("_dir", "template", "cache"))
        }
        if "/" in str(self.report) or Path(str(self.report)).is_absolute():  # a definition folder, not a name
            paths["report"] = str(Path(self.report).resolve())
        return replace(self, **paths)

    def for_bureau(self, bureau: str) -> RunSpec:
        return replace(self, bureau=check_code(bureau))

    def with_(self, **changes: Any) -> RunSpec:
        return replace(self, **changes)

    @property
    def folder(self) -> Path:
        """Where this bureau-year's outputs go: ``<out>/<year>/<bureau>``."""
        return Path(self.out_dir) / str(self.year) / check_code(self.bureau)

    @property
    def year_dir(self) -> Path:
        return Path(self.out_dir) / str(self.year)

    def notebook_parameters(self, accepted: set[str] | None = None) -> dict[str, str | int | bool]:
        """The values for the notebook's parameters cell: paths as absolute strings, no value as ``""``.

        ``accepted`` limits them to the names a notebook declares (the overview takes fewer).
        """
        out: dict[str, str | int | bool] = {}
        for f in fields(self):
            if not f.metadata.get("notebook") or (accepted is not None and f.name not in accepted):
                continue
            out[f.name] = _plain(getattr(self, f.name))
        return out

    def fingerprint_values(self) -> dict[str, str | int | bool]:
        """The options (not files) a bureau's result depends on, for its fingerprint."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self) if f.metadata.get("fingerprint")}


def _plain(value: object) -> str | int | bool:
    if value is None:
        return ""
    if isinstance(value, bool | int):
        return value
    if isinstance(value, Path):
        return str(value.resolve())
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def notebook_fields() -> list[str]:
    """Names of the fields written into a notebook's parameters cell."""
    return [f.name for f in fields(RunSpec) if f.metadata.get("notebook")]
