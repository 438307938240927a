"""Dates as people type them: every form the data contract lists for ledger dates.

One reader for ledger cells (:func:`toolkit.data.cells.parse_date`), the signature
date of a bureau's parameter file and the command line's ``--date``, so a date written
one way in a ledger is read the same way everywhere. Kept free of pandas: the run and
parameter modules import it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta

#: The text forms, as messages list them.
DATE_FORMS = "2021-03-05、2021/3/5、2021.3.5、2021年3月5日或20210305"

_DATE_TEXT = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?$", re.ASCII
)
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$", re.ASCII)
#: An Excel date serial typed or exported as text (10000 is 1927-05-18, 99999 is 2173-10-14).
_DATE_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$", re.ASCII)
#: The first day Excel's 1900 date system counts from, past its fictitious 1900-02-29 (serial 60).
_EXCEL_EPOCH = date(1899, 12, 30)


class UnreadableDate(ValueError):
    """A value that is no date in any of :data:`DATE_FORMS`; ``message`` says why, in Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def from_serial(number: float) -> date:
    """The day an Excel date serial stands for (1900 date system)."""
    if not 1 <= number <= 2_958_465:  # 9999-12-31; also refuses nan
        raise UnreadableDate("不是有效的Excel日期序号")
    if number < 61:  # before Excel's fictitious 1900-02-29
        if int(number) == 60:
            raise UnreadableDate("不存在的日期（Excel日期序号60即1900-02-29）")
        return _EXCEL_EPOCH + timedelta(days=int(number) + 1)
    return _EXCEL_EPOCH + timedelta(days=int(number))


def date_from_text(text: str) -> date:
    """The date ``text`` (already stripped) writes, full-width digits and serials included;
    raise :class:`UnreadableDate`."""
    text = unicodedata.normalize("NFKC", text)
    if _DATE_SERIAL.match(text):
        return from_serial(float(text))
    match = _DATE_TEXT.match(text) or _DATE_COMPACT.match(text)
    if not match:
        raise UnreadableDate("无法识别的日期")
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        raise UnreadableDate("不存在的日期") from None


def read_date(value: object) -> date | None:
    """A date from a date (YAML's ``2022-01-10``), or text or a whole number in a listed form;
    None for nothing or blank text. Raise :class:`UnreadableDate` for anything else."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise UnreadableDate("不是日期")
    text = str(value).strip()
    return date_from_text(text) if text else None
