"""The plan page's participants and status forms keep what was typed when the save is refused (422), the refused
field marked."""
import re

from .test_wide_area import _wide_plan


def _input(page: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)


def _value(page: str, name: str) -> str:
    return re.search(r'value="([^"]*)"', _input(page, name)).group(1)


def test_refused_participants_keep_the_typed_codes(client_for, users, register):
    plan = _wide_plan(register)  # participants: 134023
    c = client_for(users["tokyo"])
    typed = "134023 132012 131016 13999"  # three right, one mistyped
    response = c.post(f"/funding/plans/{plan.pk}/participants", {"participants": typed, "version": plan.version})
    assert response.status_code == 422
    page = response.content.decode()
    assert "団体コード" in page
    assert _value(page, "participants") == typed  # not the stored "134023": the officer corrects one code
    assert 'aria-invalid="true"' in _input(page, "participants")


def test_a_refused_status_change_keeps_the_typed_reason(client_for, users, plan_factory):
    plan = plan_factory([(2026, "people_knowhow", 0, [])])  # a draft: 完了 is not allowed from it
    c = client_for(users["hachioji"])
    response = c.post(f"/funding/plans/{plan.pk}/status", {"status": "completed", "version": plan.version,
                                                           "reason": "3か年の事業を終え、自走に移ったため"})
    page = response.content.decode()
    assert response.status_code == 422 and "変更できません" in page
    assert _value(page, "reason") == "3か年の事業を終え、自走に移ったため"
    assert re.search(r'<select id="plan-status" name="status" aria-invalid="true"', page)
    assert '<option value="completed" selected>' in page
