"""Indexed views over the request snapshots.

Every lookup the spec describes as "the first row with this id" is a dict built once, so
no stage scans a list per instrument (the engine stays near-linear in portfolio size).
"""

from __future__ import annotations

from decimal import Decimal

from .models import FxRate, MarketDataSnapshot, Position, Price, ShelfEntry

ONE_POINT_ZERO = Decimal("1.0")


def first_by(rows, key):
    """Map each key to the first row carrying it (later duplicates are ignored)."""
    index = {}
    for row in rows:
        index.setdefault(key(row), row)
    return index


class FxTable:
    """FX rate resolution ``RATE(from, to)`` of engine spec §2.1."""

    def __init__(self, fx_rates: tuple[FxRate, ...]):
        self._first_by_pair: dict[str, Decimal] = {}
        for row in fx_rates:
            self._first_by_pair.setdefault(row.pair, row.rate)
        self._cache: dict[tuple[str, str], Decimal | None] = {}

    def rate(self, from_ccy: str, to_ccy: str) -> Decimal | None:
        """Rate converting an amount in ``from_ccy`` into ``to_ccy``, or None when missing.

        Same currency gives ``Decimal("1.0")`` (one decimal place, visible in outputs); a
        direct pair is used as given, an inverse pair as ``1.0 / rate``; a zero rate counts
        as absent.
        """
        key = (from_ccy, to_ccy)
        if key in self._cache:
            return self._cache[key]
        result = self._resolve(from_ccy, to_ccy)
        self._cache[key] = result
        return result

    def _resolve(self, from_ccy: str, to_ccy: str) -> Decimal | None:
        if from_ccy == to_ccy:
            return ONE_POINT_ZERO
        direct = self._first_by_pair.get(f"{from_ccy}/{to_ccy}")
        if direct is not None and direct != 0:
            return direct
        inverse = self._first_by_pair.get(f"{to_ccy}/{from_ccy}")
        if inverse is not None and inverse != 0:
            return ONE_POINT_ZERO / inverse
        return None


class MarketIndex:
    """Prices and FX of one market-data snapshot."""

    def __init__(self, market: MarketDataSnapshot):
        self.prices: dict[str, Price] = first_by(market.prices, lambda p: p.instrument_id)
        self.fx = FxTable(market.fx_rates)


class ShelfIndex:
    """Shelf lookups: first entry per id, every attribute key, settlement days."""

    def __init__(self, shelf: tuple[ShelfEntry, ...]):
        self.entries = shelf
        self.by_id: dict[str, ShelfEntry] = first_by(shelf, lambda e: e.instrument_id)
        self.attribute_keys: set[str] = {k for e in shelf for k in e.attributes}
        # The settlement-days map is built with later duplicates winning (spec §10).
        self.settlement_days: dict[str, int] = {e.instrument_id: e.settlement_days for e in shelf}

    def get(self, instrument_id: str) -> ShelfEntry | None:
        return self.by_id.get(instrument_id)


def positions_by_id(positions: tuple[Position, ...]) -> dict[str, Position]:
    """First position per instrument id."""
    return first_by(positions, lambda p: p.instrument_id)
