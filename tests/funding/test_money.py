"""Property tests of the money rules: splits and shares add back up, conversions round once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alpsbio.core.money import (
    Money,
    MoneyError,
    allocate,
    convert,
    flat_rate,
    quantize,
    split_shares,
)

cents = st.integers(min_value=-(10**11), max_value=10**11).map(lambda c: Decimal(c) / 100)
positive_cents = st.integers(min_value=0, max_value=10**11).map(lambda c: Decimal(c) / 100)
weights = st.lists(
    st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False), min_size=1, max_size=12
)
rates = st.decimals(min_value=Decimal("0.000001"), max_value=100, places=6, allow_nan=False)


@given(cents, weights)
def test_allocate_sums_back_and_stays_within_a_cent(total: Decimal, ws: list[Decimal]) -> None:
    parts = allocate(total, ws)
    assert sum(parts, Decimal(0)) == total
    assert all(p == quantize(p) for p in parts)
    wsum = sum(ws, Decimal(0))
    for part, w in zip(parts, ws, strict=True):
        exact = total * w / wsum if wsum else total / len(ws)
        assert abs(part - exact) < Decimal("0.01")


@given(positive_cents, st.decimals(min_value=0, max_value=1, places=6, allow_nan=False))
def test_co_financing_shares_add_up_to_the_eligible_cost(total: Decimal, rate: Decimal) -> None:
    shares = split_shares(total, {"eu_fund": rate, "national_public": 1 - rate})
    assert sum((s.amount for s in shares), Decimal(0)) == total
    assert abs(shares[0].amount - total * rate) < Decimal("0.01")


@given(positive_cents, st.decimals(min_value=0, max_value=1, places=4, allow_nan=False))
def test_flat_rate_rounds_once_and_budget_reconciles(staff: Decimal, rate: Decimal) -> None:
    office = flat_rate(staff, rate)
    assert office == quantize(staff * rate)
    assert abs(office - staff * rate) <= Decimal("0.005")


@given(positive_cents, rates)
def test_conversion_rounds_once(amount: Decimal, rate: Decimal) -> None:
    chf = convert(amount, "EUR", "CHF", rate)
    assert chf == quantize(amount * rate, "CHF")
    eur = convert(chf, "CHF", "EUR", rate)
    assert eur == quantize(chf / rate, "EUR")
    assert convert(amount, "EUR", "EUR", rate) == amount


def test_rounding_is_half_up_to_the_cent() -> None:
    assert quantize(Decimal("0.005")) == Decimal("0.01")
    assert quantize(Decimal("-0.005")) == Decimal("-0.01")
    assert quantize(Decimal("1.2349")) == Decimal("1.23")
    assert allocate(Decimal("100.00"), [1, 1, 1]) == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]


def test_money_rules_refuse_floats_mixed_currencies_and_bad_plans() -> None:
    with pytest.raises(MoneyError):
        quantize(0.1)  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        Money(Decimal(1), "EUR") + Money(Decimal(1), "CHF")
    with pytest.raises(MoneyError):
        split_shares(Decimal(100), {"a": Decimal("0.5"), "b": Decimal("0.4")})
    with pytest.raises(MoneyError):
        allocate(Decimal("1.001"), [1])
    assert str(Money(Decimal("1234.5"), "CHF")) == "1,234.50 CHF"
    assert Money(Decimal("10.00")).split([1, 2]) == [Money(Decimal("3.33")), Money(Decimal("6.67"))]
