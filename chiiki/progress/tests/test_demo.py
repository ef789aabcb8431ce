"""Demo progress: deterministic, idempotent, flagged as demo, plausible in shape."""

import statistics

import pytest

from chiiki.progress import demo
from chiiki.progress.models import STAGE_RANK, ProgressRecord

pytestmark = pytest.mark.django_db


def test_load_is_deterministic_idempotent_and_marked(client, register):
    first = demo.load(stdout=None)
    rows = sorted(ProgressRecord.objects.values_list("municipality_id", "sector_id", "fiscal_year", "stage"))
    assert rows and "件を作成" in first
    assert set(ProgressRecord.objects.values_list("source", flat=True)) == {"demo"}
    assert {year for _, _, year, _ in rows} <= set(range(2022, 2027))
    assert "0件を作成" in demo.load(stdout=None)
    assert sorted(ProgressRecord.objects.values_list("municipality_id", "sector_id", "fiscal_year", "stage")) == rows
    ProgressRecord.objects.all().delete()
    demo.load(stdout=None)
    assert sorted(ProgressRecord.objects.values_list("municipality_id", "sector_id", "fiscal_year", "stage")) == rows
    html = client.get("/progress/municipalities/011002/").content.decode()
    assert "デモ" in html


def test_trajectories_never_go_backwards_and_have_the_expected_shape():
    kinds = ["designated_city", "core_city", "city", "town", "village"]
    final = {kind: [] for kind in kinds}
    by_sector = {"disaster": [], "education": [], "health": []}
    for n in range(400):
        code = f"{10000 + n * 7:05d}0"
        for kind in kinds:
            for sector in ("disaster", "education", "health", "work"):
                path = demo.trajectory(code, kind, sector)
                ranks = [STAGE_RANK[stage] for _, stage in sorted(path.items())]
                assert ranks == sorted(ranks)
                last = ranks[-1] if ranks else 0
                final[kind].append(last)
                if sector in by_sector:
                    by_sector[sector].append(last)
    means = {kind: statistics.mean(values) for kind, values in final.items()}
    assert means["designated_city"] > means["city"] > means["town"] > means["village"]
    assert statistics.mean(by_sector["disaster"]) > statistics.mean(by_sector["health"])
    assert statistics.mean(by_sector["education"]) > statistics.mean(by_sector["health"])
