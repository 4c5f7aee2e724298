"""Money rules: one rounding rule per currency, exact splits, shares and conversions.

Pure Python (no Django), so the rules can be property-tested on their own.

* Amounts are ``Decimal``. :func:`quantize` is the *only* place that rounds: half-up to the
  currency's minor unit (cents for EUR and CHF), which is how Interreg programmes and Swiss
  federal funding round declared amounts.
* A total split into parts (partner shares, co-financing sources, payments passed on) uses the
  largest-remainder method (:func:`allocate`): every part is rounded down to the cent, then the
  left-over cents go to the parts with the largest remainders (ties: earlier part first). The
  parts therefore always add up to the total exactly, and no part is more than one cent away
  from its exact share.
* A flat rate (office and administration = 15% of staff costs, say) and a currency conversion
  are computed exactly and rounded once (:func:`flat_rate`, :func:`convert`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

#: Minor-unit exponent per supported currency.
CURRENCY_EXPONENTS: dict[str, int] = {"EUR": 2, "CHF": 2}
CURRENCIES: tuple[str, ...] = tuple(CURRENCY_EXPONENTS)
ZERO = Decimal("0")


class MoneyError(ValueError):
    """A money rule was broken (unknown currency, mixed currencies, bad weights)."""


def _unit(currency: str) -> Decimal:
    try:
        return Decimal(1).scaleb(-CURRENCY_EXPONENTS[currency])
    except KeyError:
        raise MoneyError(f"unsupported currency {currency!r}") from None


def to_decimal(value: Decimal | int | str) -> Decimal:
    """A ``Decimal`` from a Decimal, int or string (never from a float: floats lose cents)."""
    if isinstance(value, float):
        raise MoneyError("money must not be a float; pass a string or Decimal")
    try:
        result = value if isinstance(value, Decimal) else Decimal(value)
    except (InvalidOperation, ValueError):
        raise MoneyError(f"not an amount: {value!r}") from None
    if not result.is_finite():
        raise MoneyError(f"not a finite amount: {value!r}")
    return result


def quantize(amount: Decimal | int | str, currency: str = "EUR") -> Decimal:
    """The one rounding rule: half-up to the currency's minor unit."""
    return to_decimal(amount).quantize(_unit(currency), rounding=ROUND_HALF_UP)


def is_rounded(amount: Decimal, currency: str = "EUR") -> bool:
    return amount == quantize(amount, currency)


def allocate(
    total: Decimal, weights: Sequence[Decimal | int | str], currency: str = "EUR"
) -> list[Decimal]:
    """Split ``total`` (already rounded) in proportion to ``weights`` by largest remainder.

    The parts sum to ``total`` exactly. All-zero weights split nothing-weighted totals evenly.
    """
    total = to_decimal(total)
    if not is_rounded(total, currency):
        raise MoneyError(f"{total} is not rounded to {currency} cents")
    ws = [to_decimal(w) for w in weights]
    if not ws:
        if total != ZERO:
            raise MoneyError("cannot split a non-zero amount over no parts")
        return []
    if any(w < 0 for w in ws):
        raise MoneyError("weights must not be negative")
    weight_sum = sum(ws, ZERO)
    if weight_sum == ZERO:
        ws = [Decimal(1)] * len(ws)
        weight_sum = Decimal(len(ws))
    unit = _unit(currency)
    sign = -1 if total < 0 else 1
    cents = int((abs(total) / unit).to_integral_value())
    exact = [Decimal(cents) * w / weight_sum for w in ws]
    floors = [int(x.to_integral_value(rounding=ROUND_DOWN)) for x in exact]
    left = cents - sum(floors)
    order = sorted(range(len(ws)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [Decimal(sign * c) * unit for c in floors]


def flat_rate(base: Decimal, rate: Decimal | str, currency: str = "EUR") -> Decimal:
    """A flat-rate amount (e.g. office costs = rate x staff costs), rounded once."""
    return quantize(to_decimal(base) * to_decimal(rate), currency)


def convert(amount: Decimal, from_currency: str, to_currency: str, rate: Decimal) -> Decimal:
    """Convert with ``rate`` = units of ``CHF`` per 1 ``EUR`` (the ECB/InforEuro convention).

    EUR→CHF multiplies, CHF→EUR divides; the exact result is rounded once to the target currency.
    """
    amount = to_decimal(amount)
    rate = to_decimal(rate)
    _unit(from_currency)
    _unit(to_currency)
    if from_currency == to_currency:
        return quantize(amount, to_currency)
    if rate <= 0:
        raise MoneyError("an exchange rate must be positive")
    if from_currency == "EUR":
        return quantize(amount * rate, to_currency)
    if to_currency == "EUR":
        return quantize(amount / rate, to_currency)
    raise MoneyError(f"no conversion rule from {from_currency} to {to_currency}")


@dataclass(frozen=True)
class Money:
    """An amount in a currency. Arithmetic keeps exact decimals; ``rounded()`` applies the rule."""

    amount: Decimal
    currency: str = "EUR"

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", to_decimal(self.amount))
        _unit(self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise MoneyError(f"cannot mix {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def rounded(self) -> Money:
        return Money(quantize(self.amount, self.currency), self.currency)

    def split(self, weights: Sequence[Decimal | int | str]) -> list[Money]:
        return [Money(a, self.currency) for a in allocate(self.amount, weights, self.currency)]

    def __str__(self) -> str:
        return f"{quantize(self.amount, self.currency):,.2f} {self.currency}"

    @classmethod
    def total(cls, items: Iterable[Money], currency: str = "EUR") -> Money:
        result = cls(ZERO, currency)
        for item in items:
            result = result + item
        return result


@dataclass(frozen=True)
class Share:
    """One source's part of an amount: ``rate`` (a fraction) and its ``amount``."""

    source: str
    rate: Decimal
    amount: Decimal


def split_shares(
    total: Decimal, rates: Mapping[str, Decimal], currency: str = "EUR"
) -> list[Share]:
    """Co-financing: split an eligible ``total`` over sources whose rates add up to 1.

    Amounts add up to ``total`` exactly (largest remainder), so an ERDF 76% + national 24% plan
    never loses or invents a cent.
    """
    if not rates:
        raise MoneyError("a co-financing plan needs at least one source")
    rate_sum = sum((to_decimal(r) for r in rates.values()), ZERO)
    if rate_sum != Decimal(1):
        raise MoneyError(f"co-financing rates must add up to 100%, not {rate_sum * 100}%")
    names = list(rates)
    amounts = allocate(quantize(total, currency), [rates[n] for n in names], currency)
    return [Share(n, to_decimal(rates[n]), a) for n, a in zip(names, amounts, strict=True)]
