"""Numbers read from files by more than one capability: their shared bounds and the one way to read a decimal."""

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
