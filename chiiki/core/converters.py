"""Path converters shared by every app's urls.py."""

from .forms import MAX_ROW_ID


class RowIdConverter:
    """`<id:pk>`: a row id (or 年度) an integer column can hold. A longer number names no row, so the URL does not
    match (404) instead of reaching a lookup that raises on it (SQLite's OverflowError on a foreign-key filter
    such as review_id=<pk> was a 500, PostgreSQL's a 404)."""

    regex = "[0-9]{1,10}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ROW_ID:
            raise ValueError(value)  # Django reads this as "no match"
        return number

    def to_url(self, value) -> str:
        return str(value)
