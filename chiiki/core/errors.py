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
