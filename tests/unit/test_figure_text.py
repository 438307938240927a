"""The one place a figure's text is made refuses every value that must never be printed."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.data.problems import DataError, FigureValueError
from toolkit.report import prepare as report
from toolkit.report.formatting import AMOUNT_UNITS, KINDS, Form, Refused, figure_text

BAD = [
    None,
    True,
    False,
    float("nan"),
    float("inf"),
    -math.inf,
    Decimal("NaN"),
    Decimal("Infinity"),
    pd.NaT,
    pd.NA,
    "",
    "  ",
    [],
]
FORMS = [
    Form("text"),
    Form("list"),
    Form("count"),
    Form("amount", "亿元"),
    Form("amount", "万元取整"),
    Form("date", year=2022),
    Form("date", full=True),
    Form("date_span", year=2022),
    Form("month_span"),
    Form("month"),
    Form("year"),
]
_WELL_FORMED = r"^[^\s].*$"


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f"{f.kind}{f.unit}")
@pytest.mark.parametrize("value", BAD, ids=repr)
def test_guard_refuses_values_that_must_never_print(form, value):
    with pytest.raises(FigureValueError) as err:
        figure_text(value, form, label="税收收入")
    assert isinstance(err.value, DataError) and "税收收入" in str(err.value)


@pytest.mark.parametrize("value", [(pd.NaT, None), (date(2022, 5, 1), pd.NaT), ("None",), ["a", None]], ids=repr)
def test_guard_refuses_missing_parts_of_spans_and_lists(value):
    form = Form("list") if isinstance(value, list) or value == ("None",) else Form("date_span", year=2022)
    with pytest.raises(FigureValueError):
        figure_text(value, form)


@pytest.mark.parametrize("text", ["None", "nan", "True", "NaT", "inf", "会议室None"])
def test_guard_refuses_texts_that_spell_a_missing_value(text):
    with pytest.raises(FigureValueError):
        figure_text(text, Form("text"))


@settings(max_examples=300, deadline=None)
@given(
    st.decimals(min_value=0, max_value=Decimal("1e15"), allow_nan=False, allow_infinity=False, places=4),
    st.sampled_from(sorted(AMOUNT_UNITS)),
)
def test_amounts_are_plain_decimal_numbers(amount, unit):
    text = figure_text(amount, Form("amount", unit))
    number = text.removesuffix("万")
    assert Decimal(number) >= 0 and "E" not in number and "e" not in number
    places = AMOUNT_UNITS[unit][1]
    assert len(number.partition(".")[2]) <= places


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**6), max_value=10**12),
        st.floats(allow_nan=True, allow_infinity=True),
        st.decimals(allow_nan=True, allow_infinity=True),
        st.dates(),
        st.text(max_size=20),
        st.lists(st.text(max_size=5), max_size=3),
    ),
    st.sampled_from(KINDS),
    st.sampled_from(sorted(AMOUNT_UNITS)),
)
def test_parse_refuses_or_gives_a_value_that_writes_cleanly(raw, kind, unit):
    """Whatever a reviewer types: a Refused with the expected form, or a value the guard accepts."""
    form = Form(kind, unit if kind == "amount" else "", 2022)
    try:
        value = form.parse(raw)
    except Refused as refused:
        assert refused.expected and refused.message
        return
    text = figure_text(value, form)
    assert text.strip() and not any(w in text for w in ("None", "nan", "NaT", "True", "False", "inf"))


def test_nat_end_date_reads_as_no_end_date(minimal):
    """Defect #8.1: a blank end date beside real dates reached the figures as NaT (2022年4月至nan年nan月)."""
    from toolkit.data.validate import load_ledgers

    data, params = minimal
    ledgers = load_ledgers(data)
    activities = ledgers.activities.copy()
    activities["end_date"] = pd.Series([pd.NaT] * len(activities), dtype="datetime64[ns]")
    ledgers.activities = activities
    rep = report.prepare(ledgers, params, "demo", 2021, date(2022, 1, 10))
    texts = [f.text for f in rep.figures.values() if f.text is not None]
    assert rep.figures["lecture_months"].text == "4月"
    assert rep.figures["members_visit_dates"].text == "5月10日"
    assert not any(w in t for t in texts for w in ("nan", "NaT", "None"))
