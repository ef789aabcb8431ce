"""Errors shared by every app: bad files, bad rows, bad values, stale versions.

Views turn `Invalid` into form errors (HTTP 422 in the API) and `Conflict` into a Japanese message with the
current values (HTTP 409 in the API); importers report `RowProblem`s. chiiki/api.py maps them in one place.
"""


class DataFileError(Exception):
    """A reference or import file cannot be used; the message names the file, row, column and problem."""

    def __init__(self, message: str, *, path=None, row: int | None = None, column: str | None = None):
        self.path, self.row, self.column = path, row, column
        where = []
        if path is not None:
            where.append(str(path))
        if row is not None:
            where.append(f"{row}行目")
        if column:
            where.append(f"列「{column}」")
        super().__init__(f"{' '.join(where)}: {message}" if where else message)


class RowProblem:
    """One bad row of an import: the row number as in the file (None: the file as a whole), the column,
    the reason (Japanese) and the offending value when there is one."""

    __slots__ = ("row", "column", "reason", "value")

    def __init__(self, row: int | None, column: str, reason: str, value: str = ""):
        self.row, self.column, self.reason, self.value = row, column, reason, value

    def __str__(self):
        where = f"{self.row}行目" if self.row else "ファイル"
        return f"{where} 列「{self.column}」: {self.reason}" if self.column else f"{where}: {self.reason}"

    def __repr__(self):
        return f"RowProblem({self.row!r}, {self.column!r}, {self.reason!r})"

    def __eq__(self, other):
        return isinstance(other, RowProblem) and (self.row, self.column, self.reason, self.value) == (
            other.row, other.column, other.reason, other.value)

    def __hash__(self):
        return hash((self.row, self.column, self.reason, self.value))


class ImportRejected(Exception):
    """An all-or-nothing import found problems; nothing was written. `problems` names every bad row."""

    def __init__(self, problems: list[RowProblem]):
        self.problems = problems
        super().__init__(f"{len(problems)}件の問題があるため取り込みを中止しました（何も変更していません）")

    def report(self, limit: int = 50) -> str:
        lines = [str(self), *(f"  {p}" for p in self.problems[:limit])]
        if len(self.problems) > limit:
            lines.append(f"  …ほか{len(self.problems) - limit}件")
        return "\n".join(lines)


class Invalid(ValueError):
    """Values that cannot be saved; nothing was written. `problems` lists (field, Japanese reason) pairs."""

    def __init__(self, problems: list[tuple[str, str]] | dict[str, str] | str):
        if isinstance(problems, str):
            problems = [("", problems)]
        elif isinstance(problems, dict):
            problems = list(problems.items())
        self.problems = problems
        super().__init__("; ".join(reason for _field, reason in problems))

    @property
    def errors(self) -> dict[str, str]:
        """field → reason (the first reason per field)."""
        result: dict[str, str] = {}
        for name, reason in self.problems:
            result.setdefault(name, reason)
        return result


class Conflict(Exception):
    """Someone else saved the row since it was read (optimistic version check); nothing was written.

    `current` is the row as it is now (None: it does not exist yet), for showing the newer values.
    """

    DEFAULT = "ほかの利用者が先に更新しました。最新の内容を確認してから、もう一度保存してください。"

    def __init__(self, message: str = "", current=None):
        super().__init__(message or self.DEFAULT)
        self.current = current
