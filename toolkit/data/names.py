"""What a sheet name or file stem says about the table it holds.

Offices name ledgers after the table, often with a year or a place around it
(``2021年活动台账``, ``青山县活动台账``, ``活动台账-2021``), and keep copies beside
them (``活动台账 (2)``, ``活动台账（旧）``, ``活动台账-备份``). A name is one of:

- ``table``: the table's Chinese or English name, or that name followed by ``-``, ``_``
  or ``.`` and a suffix that marks no copy (``活动台账-青山``, ``finance_2022``);
- ``named``: the name with a year or a place around it; read when its first rows hold
  the table's headers;
- ``copy``: a copy kept on purpose (a copy mark anywhere): listed, never read, so that
  no row is counted twice;
- ``unclear``: the table's name with something else around it (``活动台账汇总``,
  ``活动台账（最终版）``): not read, and listed as unread, saying how to name it.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from toolkit.data.contract import BASE, Table, normalise_header

NameKind = Literal["table", "named", "copy", "unclear"]

_SEPARATORS = "-_."
#: Marks of a copy kept on purpose. Names are compared after :func:`normalise_header`
#: (NFKC: full-width brackets are ASCII ones, blanks removed).
COPY_MARK = re.compile(
    r"备份|副本|拷贝|复制|旧版|历史|[(\[【]\s*(?:旧|\d{1,2})\s*[)\]】]|(?<![a-z])(?:backup|copy|bak|old)(?![a-z])",
    re.I,
)
_BRACKETS = re.compile(r"[(\[【)\]】]")
_YEAR = r"(?:19|20)\d{2}(?:年度|年)?"
#: A year, a year range or a year in brackets: ``2021``, ``2021年``, ``2021-2022年度``, ``(2021年)``.
_YEARS = re.compile(rf"^[(\[【]?{_YEAR}(?:[-_.至到~]{_YEAR})?[)\]】]?$")
#: Words around a table's name that say the sheet is something else than the ledger
#: itself: a version, a draft, a summary of it, a template.
_OTHER_THING = re.compile(
    r"版|稿|修改|修订|更新|最新|新建|旧|临时|测试|模板|模版|样表|样例|示例|范例|作废|废弃|待定|待审|未完|核对|校对"
    r"|汇总|统计|合计|分析|图表|透视|计算|对比|比较|(?<![a-z])v\d|(?<![a-z])ver(?![a-z])",
    re.I,
)
#: A place or a description: letters, digits and CJK characters only.
_WORDS = re.compile(r"^[0-9a-z\u3400-\u9fff]+$")


def _plain_piece(piece: str) -> bool:
    """A year, a place or a description around a table's name (empty counts)."""
    if not piece or _YEARS.match(piece):
        return True
    for year in re.finditer(_YEAR, piece):  # a year and a place: 2021年青山县
        rest = piece[: year.start()] + piece[year.end() :]
        if not rest or _plain_piece(rest):
            return True
    return bool(_WORDS.match(piece)) and not _OTHER_THING.search(piece) and not piece.isdigit()


def classify(name: str, tables: tuple[Table, ...] = BASE.tables) -> tuple[Table | None, NameKind | None]:
    """The table a sheet name or file stem stands for, and how (see the module's doc)."""
    key = normalise_header(name)
    # longer names first: a table named 活动台账明细 is not a copy of 活动台账
    ordered = sorted(tables, key=lambda t: -len(normalise_header(t.zh)))
    for table in ordered:
        for label in (normalise_header(table.zh), normalise_header(table.name)):
            at = key.find(label)
            if at < 0 or not label:
                continue
            if key == label:
                return table, "table"
            if is_copy(name):
                return table, "copy"
            return table, _around(key[:at], key[at + len(label) :])
    return None, None


def _around(prefix: str, suffix: str) -> NameKind:
    if not prefix and suffix[:1] in _SEPARATORS and len(suffix) > 1:
        rest = suffix[1:]
        if not _BRACKETS.search(rest) and not _OTHER_THING.search(rest.strip(_SEPARATORS)):
            return "table"  # 活动台账-青山, finance_2022: what the contract has always read
    pieces = [prefix.strip(_SEPARATORS), suffix.strip(_SEPARATORS)]
    return "named" if all(_plain_piece(p) for p in pieces) else "unclear"


def is_copy(name: str) -> bool:
    """Whether a name marks a copy kept on purpose (``台账 - 副本``, ``台账(1)``, ``activities copy``)."""
    text = unicodedata.normalize("NFKC", name).lower()
    spaced = " ".join("".join(ch for ch in text if unicodedata.category(ch) != "Cf").split())
    return bool(COPY_MARK.search(spaced) or COPY_MARK.search(normalise_header(name)))


def rename_hint(table: Table, file: bool = False) -> str:
    """How to name a sheet (or a file) so that it is read as ``table``."""
    what = "文件" if file else "工作表"
    return f"如是{table.zh}，请把{what}改名为“{table.zh}”（或“{table.zh}-后缀”，如“{table.zh}-2021”）"
