"""The one formatting module: separators, signs before the currency, no signed zero."""

import math

import pytest

from core.formatting import MISSING, money, number, percent, plain_percent, signed_money, signed_percent


@pytest.mark.parametrize(
    ("value", "expected"),
    [(5211.9, "$5,211.90"), (36090.75, "$36,090.75"), (-40.95, "−$40.95"), (-0.001, "$0.00"), (0.0, "$0.00")],
)
def test_money(value, expected):
    assert money(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(12.0, "+$12.00"), (-3.4, "−$3.40"), (-0.004, "$0.00"), (1234567.891, "+$1,234,567.89")]
)
def test_signed_money(value, expected):
    assert signed_money(value) == expected


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [(0.0123, 2, "+1.23%"), (-0.0123, 2, "−1.23%"), (-0.0004, 1, "0.0%"), (0.0004, 1, "0.0%"), (0.0, 2, "0.00%")],
)
def test_signed_percent_never_writes_a_signed_zero(value, digits, expected):
    assert signed_percent(value, digits) == expected


def test_plain_percent_and_number():
    assert plain_percent(0.8) == "80.0%"
    assert plain_percent(-0.05) == "−5.0%"
    assert number(-0.001) == "0.00"
    assert number(1234.5) == "1,234.50"


def test_missing_values():
    for fn in (money, signed_money, signed_percent, plain_percent, number):
        assert fn(None) == MISSING
        assert fn(math.nan) == MISSING
    assert percent(None) is None
