"""Shared handling of the official-figure imports (import_population, import_area, import_fiscal_indices)."""

from pathlib import Path

from django.core.management.base import CommandError

from chiiki.core import history
from chiiki.core.commands import read_input


def run(importer, path: str, actor, **options):
    """Run importer on the file at path as actor; every problem becomes one CommandError naming them all."""
    file = Path(path)
    data = read_input(file)
    result = importer.run(actor, data, file.name, source=history.IMPORT, **options)
    if not result.ok:
        raise CommandError(f"{file.name}: {result.report()}")
    return result
