from pathlib import Path

import pytest
from django.conf import settings

from chiiki.core import history
from chiiki.programs.models import SupportProgram
from chiiki.programs.reference import load_catalog
from chiiki.roadmap.reference import load as load_sectors

DATA_DIR = Path(settings.BASE_DIR) / "data"


@pytest.fixture
def catalog(register):
    """The 25 real programs of data/support_programs.csv and the real sectors with their models
    (data/sectors.csv, searchable vocabulary), loaded through the reference loaders as the bench does."""
    load_sectors(data_dir=DATA_DIR, force=False, stdout=None, progress=False)
    load_catalog(data_dir=DATA_DIR)
    return {p.public_id: p for p in SupportProgram.objects.all()}


@pytest.fixture
def set_attributes():
    """set_attributes(municipality, **fields): the 財政力指数 and flags (B's form writes the same fields).
    Bumps the "regions" data version as every regions action does, so cached pages and API reads follow."""

    def apply(municipality, **fields):
        for name, value in fields.items():
            setattr(municipality, name, value)
        municipality.save()
        history.bump("regions")
        return municipality

    return apply
