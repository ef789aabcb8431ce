"""Shared handling of the official-figure imports (import_population, import_area, import_fiscal_indices)."""

from pathlib import Path

from django.core.management.base import CommandError

from chiiki.core import history
from chiiki.core.tabular import read_limited


def run(importer, path: str, actor, **options):
    """Run importer on the file at path as actor; every problem becomes one CommandError naming them all."""
    file = Path(path)
    try:
        with file.open("rb") as handle:
            data = read_limited(handle)  # read_table refuses a file over IMPORT_MAX_BYTES
    except (FileNotFoundError, IsADirectoryError):
        raise CommandError(f"ファイルがありません: {file}") from None
    result = importer.run(actor, data, file.name, source=history.IMPORT, **options)
    if not result.ok:
        raise CommandError(f"{file.name}: {result.report()}")
    return result
