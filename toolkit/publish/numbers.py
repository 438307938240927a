"""Numbers in tables: each column in one unit and with one number of decimals.

A report writes each amount as prose does (``19.37亿元``, ``8.6亿元``, ``12亿元``: trailing
zeros dropped). A table column of such numbers reads badly, so a column shows every row
with the decimals the most precise of them needs, no more (``19.37``, ``8.60``, ``12.00``,
and ``193650`` rather than ``193650.00`` when every row is whole), each rounded exactly
as the report rounds it, in the unit the report uses. The reader's table right-aligns them.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from toolkit.report import formatting as fmt
from toolkit.report.figures import Figure

#: The figure kinds written as numbers.
NUMERIC_KINDS = ("count", "amount", "number")
#: Most decimals of a plain number (学时 and the like), as the report writes it.
NUMBER_PLACES = 2


def unit_word(figure: Figure, unit: str = "") -> str:
    """The unit a figure's number is read in (万元, 亿元, 人次 …; "" for a bare count).

    ``unit`` asks for another amount unit than the report's (a key of ``AMOUNT_UNITS``).
    """
    form = figure.form
    if form.kind == "amount":
        return fmt.unit_word(unit or form.unit)
    return form.unit if form.kind in ("count", "number") else ""


def is_number(figure: Figure) -> bool:
    return figure.form.kind in NUMERIC_KINDS


def _places(figure: Figure, unit: str) -> tuple[Decimal, int]:
    """The factor from the figure's value to its unit, and the most decimals that unit is written with."""
    if figure.form.kind == "number":
        return Decimal(1), NUMBER_PLACES
    if figure.form.kind != "amount":
        return Decimal(1), 0
    factor, places, _ = fmt.AMOUNT_UNITS[unit or figure.form.unit]
    return factor, places


def places(figure: Figure, unit: str = "") -> int:
    """The most decimals a figure's number is written with in ``unit`` (counts: none)."""
    return _places(figure, unit)[1]


def scaled(figure: Figure | None, unit: str = "") -> Decimal | None:
    """A figure's number in its unit, rounded as the report rounds it; None when it has none."""
    if figure is None or figure.text is None or not is_number(figure):
        return None
    try:
        value = Decimal(str(figure.value))
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite():
        return None
    factor, places = _places(figure, unit)
    return fmt.round_half_up(value / factor, places)


def decimals(value: Decimal) -> int:
    """The decimals ``value`` needs (trailing zeros are not needed)."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def column_texts(values: Sequence[Decimal | None], most: int = 2) -> list[str | None]:
    """``values`` as one column: the decimals the most precise needs (at most ``most``), for every row."""
    known = [v for v in values if v is not None and v.is_finite()]
    places = min(most, max((decimals(v) for v in known), default=0))
    return [None if v is None or not v.is_finite() else format(fmt.round_half_up(v, places), "f") for v in values]


def figure_column(figures: Sequence[Figure | None], unit: str = "") -> list[str | None]:
    """The numbers of the same figure of several bureaus (or of one column) in one unit and decimals.

    None where a figure is missing or is not a number.
    """
    first = next((f for f in figures if f is not None and is_number(f)), None)
    most = _places(first, unit)[1] if first is not None else 0
    return column_texts([scaled(f, unit) for f in figures], most)
