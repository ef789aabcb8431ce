"""Numbers shared by more than one capability: bounds of figures read from files, the one way to read a decimal,
and the one way to rank."""

from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation

# Above Japan's (about 126 million) and any one municipality's, and below the 32-bit integer columns the figures
# are stored in: beyond them PostgreSQL refuses the row at commit (a 500) and SQLite stores it silently.
MAX_POPULATION = 200_000_000


def finite_decimal(text: str) -> Decimal | None:
    """The number text writes, None when it writes none. Decimal also reads 「NaN」「sNaN」「Infinity」: a NaN raises
    InvalidOperation when compared with a bound and an infinity does not fit any column, so they are none too."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def competition_ranks(ordered: Iterable, score: Callable) -> list[tuple[int, object]]:
    """(rank, item) for items already sorted best first: equal scores share a rank and the next rank skips
    (1, 2, 2, 4), as every published ranking does (docs/decisions/0004-progress-carry-over-and-imports.md)."""
    ranked, previous, rank = [], object(), 0
    for index, item in enumerate(ordered, start=1):
        if score(item) != previous:
            rank, previous = index, score(item)
        ranked.append((rank, item))
    return ranked
