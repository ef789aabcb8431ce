"""Errors shared by loaders and importers."""


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
    """One bad row of an import: the row number as in the file, the column, and the reason (Japanese)."""

    __slots__ = ("row", "column", "reason")

    def __init__(self, row: int | None, column: str, reason: str):
        self.row, self.column, self.reason = row, column, reason

    def __str__(self):
        where = f"{self.row}行目" if self.row is not None else "ファイル"
        return f"{where} 列「{self.column}」: {self.reason}" if self.column else f"{where}: {self.reason}"

    def __repr__(self):
        return f"RowProblem({self.row!r}, {self.column!r}, {self.reason!r})"


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


class Conflict(Exception):
    """Someone else saved the row since it was read (optimistic version check); nothing was written."""
