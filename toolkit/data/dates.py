"""Dates as people type them: every form the data contract lists for ledger dates.

One reader for ledger cells (:func:`toolkit.data.validate.parse_date`), the signature
date of a bureau's parameter file and the command line's ``--date``, so a date written
one way in a ledger is read the same way everywhere. Kept free of pandas: the run and
parameter modules import it.
"""

from __future__ import annotations

import re
from datetime import date, datetime

#: The text forms, as messages list them.
DATE_FORMS = "2021-03-05、2021/3/5、2021.3.5、2021年3月5日或20210305"

_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


class UnreadableDate(ValueError):
    """A value that is no date in any of :data:`DATE_FORMS`; ``message`` says why, in Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def date_from_text(text: str) -> date:
    """The date ``text`` (already stripped) writes; raise :class:`UnreadableDate`."""
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
