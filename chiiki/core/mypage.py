"""The parts of マイページ every app contributes: what a user may do (Capability) and what is waiting for them
(TodoSection). Each app's `mypage.py` returns its own; chiiki.accounts.queries puts them together."""

from dataclasses import dataclass, field

# Items listed per section; the rest are counted and linked (more_url) rather than listed.
MAX_LISTED = 20


@dataclass(frozen=True)
class Capability:
    text: str
    url: str | None = None


@dataclass(frozen=True)
class Todo:
    text: str
    url: str | None = None
    note: str = ""


@dataclass
class TodoSection:
    key: str
    title: str
    items: list[Todo] = field(default_factory=list)
    done_text: str = ""  # shown when nothing is waiting
    more: int = 0  # items beyond those listed
    more_url: str | None = None  # the full list behind the section's count
    unit: str = "件"


def section(key: str, title: str, items: list[Todo], total: int, *, more_url: str,
            done_text: str = "", unit: str = "件") -> TodoSection:
    """A section whose title carries its count, linked to more_url on the page: the full list behind the count,
    holding exactly those rows (required: a count without its rows is not shown). Lists the first MAX_LISTED."""
    return TodoSection(key, f"{title}（{total}{unit}）", items[:MAX_LISTED], done_text,
                       more=max(0, total - MAX_LISTED), more_url=more_url, unit=unit)


def first_rows(qs) -> tuple[list, int]:
    """The first MAX_LISTED rows of a section and its total. Counted only when the list is full: most sections
    list everything they have, so one query answers both."""
    rows = list(qs[:MAX_LISTED + 1])
    if len(rows) <= MAX_LISTED:
        return rows, len(rows)
    return rows[:MAX_LISTED], qs.count()
