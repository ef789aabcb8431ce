"""Explained matching: coverage, separation of partial candidates, distance, availability, ratings, load balance."""

import datetime as dt

import pytest

from chiiki import access
from chiiki.core.fiscal import current_fiscal_year
from chiiki.talent import actions, matching
from chiiki.talent.models import Status, TalentRequest, Visit

from .conftest import profile_data, request_data


def _profile(name, caps, **extra):
    skills = [{"capability": c, "level": 2} for c in caps]
    return actions.create_profile(access.SYSTEM, profile_data(display_name=name, skills=skills, **extra))


@pytest.fixture
def request_(users, vocabulary, register):
    return actions.create_request(users["hachioji"], register["municipalities"]["132012"], request_data(
        required=["CAP-HLT-07", "CAP-HLT-09"], desired=["CAP-COM-03", "CAP-COM-07"], format="mixed"))


def test_missing_required_never_ranks_above_full_coverage(request_):
    partial = _profile("一部", ["CAP-HLT-07", "CAP-COM-03", "CAP-COM-07"], sectors=["health"])  # strong but missing one
    full = _profile("全部", ["CAP-HLT-07", "CAP-HLT-09"], sectors=[], home_prefecture="01", prefectures_served=[],
                    online_available=False, available_days="0", available_hours="0")  # weak everywhere else
    found = matching.candidates(request_)
    assert [c.profile_id for c in found["ranked"]] == [full.pk]
    assert [c.profile_id for c in found["partial"]] == [partial.pk]
    assert found["partial"][0].score > found["ranked"][0].score  # a higher score still stays below
    assert found["partial"][0].required_missing == ["介護ロボット・見守り機器の導入効果を評価できる"]
    assert found["ranked"][0].reasons[0] == "必須 2/2"


def test_score_follows_the_documented_formula(request_):
    p = _profile("計算", ["CAP-HLT-07", "CAP-HLT-09", "CAP-COM-03"], sectors=["health"], home_prefecture="13",
                 available_days="10")
    c = matching.candidates(request_)["ranked"][0]
    assert c.profile_id == p.pk
    # 50 (2/2 required) + 7.5 (1/2 desired) + 5 (sector listed) + 10 (same prefecture) + 10 (all days left) + 2.5
    assert c.score == 85.0
    assert c.distance == "same" and c.sector_reason == "プロフィールにこの分野あり"
    assert c.desired_covered == ["補助金の申請書を作成できる"]


def test_distance_same_neighbour_online(users, vocabulary, register):
    sapporo = register["municipalities"]["011002"]  # 北海道; 松前町 is its neighbour in the fixture (same pref)
    request_ = actions.create_request(access.SYSTEM, sapporo, request_data(format="online"))
    same = _profile("道内", ["CAP-HLT-07"], home_prefecture="01", prefectures_served=[])
    online = _profile("オンライン", ["CAP-HLT-07"], home_prefecture="32", prefectures_served=[], online_available=True)
    far = _profile("遠方", ["CAP-HLT-07"], home_prefecture="32", prefectures_served=[], online_available=False)
    by_id = {c.profile_id: c for c in matching.candidates(request_)["ranked"]}
    assert by_id[same.pk].distance == "same"
    assert by_id[online.pk].distance == "online"
    assert by_id[far.pk].distance == "none"


def test_neighbouring_prefecture_from_the_municipal_boundaries(users, vocabulary, register):
    m = register["municipalities"]
    m["131016"].neighbours.add(m["322016"])  # pretend 千代田区 and 松江市 touch: 東京都 and 島根県 are neighbours
    request_ = actions.create_request(access.SYSTEM, m["132012"], request_data(format="onsite"))
    p = _profile("隣県", ["CAP-HLT-07"], home_prefecture="32", prefectures_served=[], online_available=True)
    c = matching.candidates(request_)["ranked"][0]
    assert c.profile_id == p.pk and c.distance == "neighbour" and c.distance_reason == "隣接する都道府県から対応"


def test_load_balance_breaks_ties(users, vocabulary, register, request_):
    busy = _profile("多忙", ["CAP-HLT-07", "CAP-HLT-09"])
    free = _profile("余裕", ["CAP-HLT-07", "CAP-HLT-09"])
    other = actions.create_request(access.SYSTEM, register["municipalities"]["322016"], request_data(sector="education"))
    TalentRequest.objects.filter(pk=other.pk).update(status=Status.ACCEPTED, talent=busy)
    ranked = matching.candidates(request_)["ranked"]
    assert [c.profile_id for c in ranked] == [free.pk, busy.pk]
    assert ranked[0].score == ranked[1].score and ranked[1].dispatches_this_year == 1


def test_used_days_and_ratings_count(users, vocabulary, register, request_):
    p = _profile("実績", ["CAP-HLT-07", "CAP-HLT-09"], available_days="4")
    done = actions.create_request(access.SYSTEM, register["municipalities"]["322016"], request_data())
    TalentRequest.objects.filter(pk=done.pk).update(status=Status.COMPLETED, talent=p, rating=5)
    Visit.objects.create(request=done, date=dt.date(current_fiscal_year(), 5, 1), hours=3, mode="onsite")
    c = matching.candidates(request_)["ranked"][0]
    assert c.remaining == "今年度あと3.0日（4.0日中）"
    assert c.average_rating == 5.0 and c.sector_reason == "この分野への派遣実績あり"
    # 50 + 0 + 10 (past dispatch) + 10 + 7.5 (3/4 days) + 5 (rating 5)
    assert c.score == 82.5


def test_api_serves_the_same_list(users, client_for, request_):
    _profile("A", ["CAP-HLT-07", "CAP-HLT-09"])
    _profile("B", ["CAP-HLT-07"])
    body = client_for(users["admin"]).get(f"/api/v1/talent/requests/{request_.pk}/candidates").json()
    found = matching.candidates(request_)
    assert [c["profile_id"] for c in body["ranked"]] == [c.profile_id for c in found["ranked"]]
    assert [c["profile_id"] for c in body["partial"]] == [c.profile_id for c in found["partial"]]
    assert body["formula"][0] == ["必須のできること", "50 × 満たした数 ÷ 必須の数"]
    assert "email" not in str(body)


@pytest.mark.parametrize("role,status", [("admin", 200), ("hachioji", 200), ("tokyo", 200), ("sapporo", 404),
                                         ("advisor", 404), ("public", 404)])
def test_candidates_api_by_role(users, client_for, request_, role, status):
    client = client_for(None if role == "public" else users[role])
    assert client.get(f"/api/v1/talent/requests/{request_.pk}/candidates").status_code == status


def test_unmet_requests(users, vocabulary, register, request_):
    from chiiki.talent import queries

    TalentRequest.objects.filter(pk=request_.pk).update(status=Status.RECEIVED)
    assert queries.unmet_request_ids() == [request_.pk] and not matching.has_full_candidate(request_)
    _profile("両方", ["CAP-HLT-07", "CAP-HLT-09"])
    assert queries.unmet_request_ids() == [] and matching.has_full_candidate(request_)
