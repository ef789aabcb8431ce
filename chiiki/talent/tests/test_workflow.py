"""The 派遣依頼 workflow: every transition by every role (including refusals) and the scheme's rules."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from chiiki import access
from chiiki.core.errors import Conflict, Invalid
from chiiki.core.fiscal import current_fiscal_year
from chiiki.core.models import ChangeRecord
from chiiki.talent import actions, rules
from chiiki.talent.models import ApplicationRound, Status, TalentRequest

from .conftest import move, profile_data, request_data

pytestmark = pytest.mark.django_db(transaction=False)

ROLES = ["public", "admin", "tokyo", "hachioji", "aogashima", "sapporo", "advisor", "company"]


def _user(users, role):
    return None if role == "public" else users[role]


def _at(request_, status, talent=None):
    TalentRequest.objects.filter(pk=request_.pk).update(status=status, talent=talent)
    request_.refresh_from_db()
    return request_


# transition → the state it starts from, the roles allowed (hachioji request; the advisor is the asked talent)
WHO = {
    "submit": (Status.DRAFT, {"admin", "tokyo", "hachioji"}),
    "receive": (Status.SUBMITTED, {"admin"}),
    "propose": (Status.RECEIVED, {"admin"}),
    "accept": (Status.ASKED, {"admin", "advisor"}),
    "decline": (Status.ASKED, {"admin", "advisor"}),
    "rate": (Status.REPORTED, {"admin", "tokyo", "hachioji"}),
    "complete": (Status.RATED, {"admin"}),
    "withdraw": (Status.SUBMITTED, {"admin", "tokyo", "hachioji"}),
    "reject": (Status.RECEIVED, {"admin"}),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(WHO))
def test_every_transition_by_every_role(users, rounds, hachioji_request, advisor_profile, name, role):
    start, allowed = WHO[name]
    request_ = _at(hachioji_request, start, talent=advisor_profile)
    kwargs = {"reason": "理由あり", "rating": 4}
    user = _user(users, role)
    if role in allowed:
        moved = actions.transition(user, request_, name, version=request_.version, **kwargs)
        assert moved.status == actions.TRANSITIONS[name][2]
        record = ChangeRecord.objects.filter(model="talent.talentrequest", object_id=str(request_.pk)).order_by("id").last()
        assert record.before["status"] == start and record.after["status"] == moved.status
    else:
        with pytest.raises(PermissionDenied):
            actions.transition(user, request_, name, version=request_.version, **kwargs)
        request_.refresh_from_db()
        assert request_.status == start


def test_ask_by_roles(users, hachioji_request, advisor_profile):
    request_ = _at(hachioji_request, Status.RECEIVED)
    for role in ("hachioji", "tokyo", "advisor", "company"):
        with pytest.raises(PermissionDenied):
            actions.transition(users[role], request_, "ask", version=request_.version, talent=advisor_profile)
    moved = actions.transition(users["admin"], request_, "ask", version=request_.version, talent=advisor_profile)
    assert moved.status == Status.ASKED and moved.talent == advisor_profile and moved.talent_label == "見守 一郎"


def test_another_talent_cannot_answer_for_the_asked_one(users, hachioji_request, vocabulary):
    other = actions.create_profile(users["company"], profile_data(display_name="別の人"))
    request_ = _at(hachioji_request, Status.ASKED, talent=other)
    with pytest.raises(PermissionDenied):
        actions.transition(users["advisor"], request_, "accept", version=request_.version)
    assert actions.transition(users["company"], request_, "accept", version=request_.version).status == Status.ACCEPTED


def test_wrong_state_is_refused_in_japanese(users, hachioji_request):
    with pytest.raises(Invalid) as exc:
        actions.transition(users["admin"], hachioji_request, "complete", version=hachioji_request.version)
    assert "「下書き」の依頼は「完了にする」ことができません" in str(exc.value)


def test_stale_version_is_a_conflict(users, rounds, hachioji_request):
    with pytest.raises(Conflict):
        actions.transition(users["hachioji"], hachioji_request, "submit", version=hachioji_request.version + 1)


def test_reject_and_decline_need_a_reason(users, hachioji_request, advisor_profile):
    request_ = _at(hachioji_request, Status.RECEIVED)
    with pytest.raises(Invalid) as exc:
        actions.transition(users["admin"], request_, "reject", version=request_.version)
    assert exc.value.errors == {"reason": "理由を入力してください"}
    request_ = _at(hachioji_request, Status.ASKED, talent=advisor_profile)
    with pytest.raises(Invalid):
        actions.transition(users["advisor"], request_, "decline", version=request_.version, reason="  ")


def test_the_whole_path_sends_mail_and_keeps_history(users, rounds, hachioji_request, advisor_profile,
                                                     django_capture_on_commit_callbacks):
    users["admin"].email = "admin@example.jp"
    users["admin"].save()
    users["hachioji"].email = "hachioji@example.jp"
    users["hachioji"].save()
    r = hachioji_request
    with django_capture_on_commit_callbacks(execute=True):
        _whole_path(users, r, advisor_profile)
    r.refresh_from_db()
    assert r.status == Status.COMPLETED and r.rating == 5
    assert list(r.report.gained.values_list("pk", flat=True)) == ["CAP-HLT-07"]
    statuses = [c.after["status"] for c in ChangeRecord.objects.filter(model="talent.talentrequest",
                                                                      object_id=str(r.pk)).order_by("id")]
    assert statuses == ["draft", "submitted", "received", "proposed", "asked", "accepted", "dispatching", "reported",
                        "rated", "completed"]
    subjects = [m.subject for m in mail.outbox]
    assert any(s.endswith(": 申請") for s in subjects) and any(s.endswith(": 完了") for s in subjects)
    assert "ichiro@example.jp" in {to for m in mail.outbox for to in m.to}  # the talent hears of the request
    assert "hachioji@example.jp" in {to for m in mail.outbox if m.subject.endswith(": 承諾") for to in m.to}


def _whole_path(users, r, advisor_profile):
    move(r, "submit", users["hachioji"])
    move(r, "receive", users["admin"])
    move(r, "propose", users["admin"])
    move(r, "ask", users["admin"], talent=advisor_profile)
    move(r, "accept", users["advisor"])
    r.refresh_from_db()
    actions.add_visit(users["advisor"], r, date=timezone.localdate(), hours="3", mode="onsite", participants=5,
                      version=r.version)
    r.refresh_from_db()
    assert r.status == Status.DISPATCHING
    move(r, "report", users["advisor"], report={"done": "センサーを試験設置", "handed_over_to": "福祉課 山田さんに設定手順",
                                                "gained": ["CAP-HLT-07"], "next_steps": "全戸展開"})
    move(r, "rate", users["hachioji"], rating=5, comment="丁寧でした")
    move(r, "complete", users["admin"])


# ---- The rounds: 15:00 JST on the deadline date ------------------------------------------------------------------


def test_submission_closes_at_1500_jst_on_the_deadline(users, hachioji_request):
    ApplicationRound.objects.create(fiscal_year=2026, number=5, deadline=dt.date(2026, 8, 20))
    ApplicationRound.objects.create(fiscal_year=2026, number=6, deadline=dt.date(2026, 9, 18))
    before = dt.datetime(2026, 8, 20, 14, 59, 59, tzinfo=rules.JST)
    after = dt.datetime(2026, 8, 20, 15, 0, 0, tzinfo=rules.JST)
    assert rules.open_round(before).number == 5
    assert rules.open_round(after).number == 6  # at 15:00 the round is closed: the next one takes it
    assert rules.open_round(dt.datetime(2026, 9, 18, 5, 59, tzinfo=dt.UTC)).number == 6  # 14:59 JST
    assert rules.open_round(dt.datetime(2026, 9, 18, 6, 0, tzinfo=dt.UTC)) is None  # 15:00 JST = 06:00 UTC
    r = actions.transition(users["hachioji"], hachioji_request, "submit", version=hachioji_request.version, now=after)
    assert r.round.number == 6 and r.status == Status.SUBMITTED


def test_no_open_round_refuses_the_submission(users, hachioji_request):
    ApplicationRound.objects.create(fiscal_year=2026, number=9, deadline=dt.date(2026, 12, 18))
    late = dt.datetime(2026, 12, 18, 15, 0, tzinfo=rules.JST)
    with pytest.raises(Invalid) as exc:
        actions.transition(users["hachioji"], hachioji_request, "submit", version=hachioji_request.version, now=late)
    assert "受付中の募集回がありません" in str(exc.value)
    hachioji_request.refresh_from_db()
    assert hachioji_request.status == Status.DRAFT


@pytest.mark.parametrize("number,deadline,problem", [
    (1, dt.date(2026, 3, 31), "募集回の締切は4月から12月までです"),
    (10, dt.date(2027, 1, 15), "募集回の締切は4月から12月までです"),
    (2, dt.date(2025, 5, 20), "締切日が2026年度の4月〜12月に入っていません"),
    (13, dt.date(2026, 5, 20), "回は1〜12で指定してください"),
])
def test_rounds_are_april_to_december(users, db, number, deadline, problem):
    with pytest.raises(Invalid) as exc:
        actions.save_round(users["admin"], 2026, number, deadline, version=0)
    assert exc.value.errors == {"deadline": problem}


def test_only_the_admin_sets_rounds(users, db):
    with pytest.raises(PermissionDenied):
        actions.save_round(users["hachioji"], 2026, 1, dt.date(2026, 4, 20), version=0)
    assert actions.save_round(users["admin"], 2026, 1, dt.date(2026, 4, 20), version=0).deadline == dt.date(2026, 4, 20)


# ---- 3 days / 10 hours ------------------------------------------------------------------------------------------


def _dispatching(hachioji_request, advisor_profile):
    return _at(hachioji_request, Status.ACCEPTED, talent=advisor_profile)


def _visit(users, r, day, hours, mode):
    r.refresh_from_db()
    return actions.add_visit(users["advisor"], r, date=day, hours=hours, mode=mode, version=r.version)


def _days(n):
    start = dt.date(current_fiscal_year(), 6, 1)
    return [start + dt.timedelta(days=i) for i in range(n)]


def test_at_most_three_days_with_onsite_visits(users, hachioji_request, advisor_profile, clock):
    r = _dispatching(hachioji_request, advisor_profile)
    d1, d2, d3, d4 = _days(4)
    _visit(users, r, d1, 6, "onsite")
    _visit(users, r, d2, 2, "online")
    _visit(users, r, d3, 6, "onsite")
    _visit(users, r, d3, 1, "online")  # the same day again: still 3 days
    with pytest.raises(Invalid) as exc:
        _visit(users, r, d4, 1, "online")
    assert "現地訪問を含めて3日まで" in str(exc.value)
    assert r.visits.count() == 4


def test_at_most_ten_hours_online_only(users, hachioji_request, advisor_profile, clock):
    r = _dispatching(hachioji_request, advisor_profile)
    days = _days(5)
    for day in days[:4]:
        _visit(users, r, day, "2.5", "online")  # 10 hours over 4 days: allowed (no on-site visit)
    with pytest.raises(Invalid) as exc:
        _visit(users, r, days[4], "0.5", "online")
    assert "オンラインのみの派遣は10時間まで" in str(exc.value)


def test_visits_only_by_the_talent_and_only_after_acceptance(users, hachioji_request, advisor_profile, clock):
    r = _at(hachioji_request, Status.ASKED, talent=advisor_profile)
    with pytest.raises(Invalid):
        _visit(users, r, _days(1)[0], 2, "onsite")
    r = _at(hachioji_request, Status.ACCEPTED, talent=advisor_profile)
    for role in ("hachioji", "company", "tokyo"):
        with pytest.raises(PermissionDenied):
            actions.add_visit(users[role], r, date=_days(1)[0], hours=2, mode="onsite", version=r.version)


def test_same_project_same_advisor_once_per_year(users, hachioji_request, advisor_profile, register):
    _at(hachioji_request, Status.COMPLETED, talent=advisor_profile)
    again = actions.create_request(users["hachioji"], register["municipalities"]["132012"], request_data())
    again = _at(again, Status.RECEIVED)
    with pytest.raises(Invalid) as exc:
        actions.transition(users["admin"], again, "ask", version=again.version, talent=advisor_profile)
    assert "1年度に1回まで" in str(exc.value)
    other_sector = actions.create_request(users["hachioji"], register["municipalities"]["132012"],
                                          request_data(sector="education"))
    other_sector = _at(other_sector, Status.RECEIVED)
    assert actions.transition(users["admin"], other_sector, "ask", version=other_sector.version,
                              talent=advisor_profile).status == Status.ASKED


# ---- Overdue reports ------------------------------------------------------------------------------------------


def test_report_due_seven_days_after_the_last_visit(users, hachioji_request, advisor_profile):
    from chiiki.talent import queries

    r = _dispatching(hachioji_request, advisor_profile)
    last = timezone.localdate() - dt.timedelta(days=8)
    if last.year != current_fiscal_year() and last < dt.date(current_fiscal_year(), 4, 1):
        pytest.skip("the first week of a 年度")
    _visit(users, r, last, 2, "onsite")
    assert rules.is_overdue(last, today=last + dt.timedelta(days=7)) is False
    assert rules.is_overdue(last, today=last + dt.timedelta(days=8)) is True
    assert [x.pk for x in queries.requests_for(users["admin"], overdue=True)] == [r.pk]
    r.refresh_from_db()
    assert queries.overdue(r)


def test_draft_requires_a_vision_and_a_required_capability(users, vocabulary, register):
    with pytest.raises(Invalid) as exc:
        actions.create_request(users["hachioji"], register["municipalities"]["132012"],
                               request_data(vision=" ", required=[]))
    assert exc.value.errors["vision"].startswith("目指す姿を入力してください")
    assert exc.value.errors["required"] == "必須のできることを1つ以上選んでください"


def test_municipal_staff_write_only_for_their_own_municipality(users, vocabulary, register):
    with pytest.raises(PermissionDenied):
        actions.create_request(users["sapporo"], register["municipalities"]["132012"], request_data())
    for role in ("advisor", "company"):
        with pytest.raises(PermissionDenied):
            actions.create_request(users[role], register["municipalities"]["132012"], request_data())
    assert access.can(users["tokyo"], "talent.request", register["municipalities"]["132012"])
