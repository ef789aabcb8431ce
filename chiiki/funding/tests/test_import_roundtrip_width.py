"""The funding lines exported and imported back change nothing, whatever width the page saved a 内訳・名称 in."""

from chiiki.funding.models import FundingLine

from .conftest import GENERAL, PLANNED
from .test_import_duplicate_lines import _file


def test_an_export_imported_back_keeps_a_full_width_label(client_for, users, plan_factory):
    plan = plan_factory([(2026, "implementation", 100, [(GENERAL, 100, PLANNED, None)])], status="published")
    FundingLine.objects.update(label="第２期　一般財源")  # as the line's form saved it
    line = FundingLine.objects.get()
    c = client_for(users["hachioji"])
    exported = c.get(f"/funding/lines/?plan={plan.pk}&format=csv").content
    response = c.post("/api/v1/funding/lines/import", {"file": _file(exported)})
    assert response.status_code == 200, response.json()
    stored = FundingLine.objects.get()
    assert (stored.label, stored.version) == ("第２期　一般財源", line.version)
