"""Shared handling of the official-figure imports (import_population, import_area)."""

from pathlib import Path

from django.core.management.base import CommandError

from chiiki.core.errors import ImportRejected
from chiiki.core.tabular import TableError, read_limited, read_table


def read_file(path: str):
    file = Path(path)
    try:
        with file.open("rb") as handle:
            data = read_limited(handle)  # read_table refuses a file over IMPORT_MAX_BYTES
    except FileNotFoundError:
        raise CommandError(f"ファイルがありません: {file}") from None
    try:
        return read_table(data, file.name)
    except TableError as exc:
        raise CommandError(f"{file.name}: {exc}") from None


def run(command, importer, path: str, **kwargs):
    table = read_file(path)
    try:
        result = importer(table=table, **kwargs)
    except ImportRejected as exc:
        raise CommandError(f"{Path(path).name}: {exc.report()}") from None
    except (TableError, ValueError) as exc:
        raise CommandError(f"{Path(path).name}: {exc}") from None
    return result
