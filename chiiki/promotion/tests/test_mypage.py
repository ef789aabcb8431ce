"""マイページ's 推進体制 part: a challenge whose deadline passed with proposals to judge waits on its municipality's
マイページ until it is decided; a company reads there the outcome of its organisation's proposals for 30 days; the
events a user registered for within 30 days are listed for them. Dates read as on every page (2027年1月17日)."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from chiiki.promotion import actions
from chiiki.promotion.models import Challenge, Organisation, OrganisationMember
from chiiki.testing import follow_section_list, mypage_section

from .test_challenges import in_days, market  # noqa: F401 - the fixture
from .test_events import event_body

pytestmark = pytest.mark.django_db


def test_a_closed_challenge_waits_for_its_municipality_until_decided(client_for, users, market):  # noqa: F811
    cid = market["challenge"]["id"]
    assert mypage_section(client_for(users["hachioji"]), "promotion-selection") is None  # still open
    Challenge.objects.filter(pk=cid).update(deadline=in_days(-1))  # the deadline has passed
    waiting = mypage_section(client_for(users["hachioji"]), "promotion-selection")
    assert "提案の選定を待つ課題（1件）" in waiting and f"締切 {_japanese(in_days(-1))}・選定を待つ提案 2件" in waiting
    assert f'href="/promotion/challenges/{cid}/"' in waiting
    for other in ("aogashima", "tokyo", "company"):
        assert mypage_section(client_for(users[other]), "promotion-selection") is None
    challenge = Challenge.objects.get(pk=cid)
    chosen = challenge.proposals.order_by("id").first()
    actions.select_proposal(users["hachioji"], chosen, amount=3_000_000, version=challenge.version)
    assert mypage_section(client_for(users["hachioji"]), "promotion-selection") is None


def _japanese(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    return f"{day.year}年{day.month}月{day.day}日"


def _copy(challenge, proposals=(), **changes):
    original = Challenge.objects.get(pk=challenge)
    copied = Challenge.objects.get(pk=challenge)
    copied.pk = None
    for name, value in changes.items():
        setattr(copied, name, value)
    copied.save()
    for proposal in original.proposals.order_by("id")[:len(proposals)]:
        proposal.pk, proposal.challenge = None, copied
        proposal.save()
    return copied.pk


def test_the_selection_section_links_to_the_list_of_exactly_its_challenges(client_for, users, market):  # noqa: F811
    cid = market["challenge"]["id"]
    closed = {"deadline": in_days(-3)}
    Challenge.objects.filter(pk=cid).update(deadline=in_days(-1))
    second = _copy(cid, proposals=[1], title="公共交通の再編", **closed)
    _copy(cid, title="提案のなかった課題", **closed)  # nothing to select from
    _copy(cid, proposals=[1], title="まだ募集中の課題", deadline=in_days(5))
    _copy(cid, proposals=[1], title="青ヶ島村の課題", municipality_id="134023", **closed)
    client = client_for(users["hachioji"])

    section = mypage_section(client, "promotion-selection")
    assert "提案の選定を待つ課題（2件）" in section
    in_section = re.findall(r'href="/promotion/challenges/(\d+)/"', section)
    assert sorted(in_section) == sorted([str(cid), str(second)])
    listed_page = follow_section_list(client, section)
    table = re.search(r'data-testid="challenges">(.*?)</table>', listed_page, re.S).group(1)
    assert sorted(re.findall(r'href="/promotion/challenges/(\d+)/"', table)) == sorted(in_section)
    assert "八王子市の提案の選定を待つ課題</h2>" in listed_page

    # The export and the API answer the same filter with the same rows.
    csv = client.get("/promotion/challenges/?municipality=132012&status=awaiting&format=csv").content.decode("utf-8-sig")
    assert sorted(line.split(",")[0] for line in csv.splitlines()[1:]) == sorted(in_section)
    api = client.get("/api/v1/challenges?municipality=132012&status=awaiting").json()
    assert sorted(str(item["id"]) for item in api["items"]) == sorted(in_section)


def test_registered_events_within_thirty_days(client_for, users):
    soon = actions.save_event(users["hachioji"], None, event_body())  # in 10 days
    later = actions.save_event(users["hachioji"], None, event_body(title="来年度の説明会",
                                                                   starts_at=f"{in_days(45)}T14:00",
                                                                   ends_at=f"{in_days(45)}T15:00"))
    for event in (soon, later):
        actions.register_for_event(users["advisor"], event)
    listed = mypage_section(client_for(users["advisor"]), "promotion-events")
    assert "申し込んだイベント（30日以内）（1件）" in listed
    assert f'href="/promotion/events/{soon.pk}/"' in listed and "来年度の説明会" not in listed
    assert f"{_japanese(in_days(10))} 14:00〜・オンライン" in listed  # Japan time, as entered
    assert mypage_section(client_for(users["company"]), "promotion-events") is None


def _heading_count(section: str) -> tuple[str, int]:
    """The section heading's link and the count it carries (「…（N件）」)."""
    match = re.search(r'<h3[^>]*><a href="([^"]+)" data-testid="todo-count-link">[^<]*（(\d+)件）</a></h3>', section)
    assert match, section
    return match.group(1).replace("&amp;", "&"), int(match.group(2))


def test_the_registered_events_count_links_to_exactly_those_events(client_for, users):
    soon = actions.save_event(users["hachioji"], None, event_body())  # in 10 days
    other = actions.save_event(users["hachioji"], None, event_body(title="別の説明会"))
    later = actions.save_event(users["hachioji"], None, event_body(title="来年度の説明会",
                                                                   starts_at=f"{in_days(45)}T14:00",
                                                                   ends_at=f"{in_days(45)}T15:00"))
    for event in (soon, later):
        actions.register_for_event(users["advisor"], event)
    actions.register_for_event(users["company"], other)  # someone else's registration
    client = client_for(users["advisor"])
    url, count = _heading_count(mypage_section(client, "promotion-events"))
    page = client.get(url)
    assert page.status_code == 200 and count == 1
    html = page.content.decode()
    table = re.search(r'data-testid="events">(.*?)</table>', html, re.S).group(1)
    assert re.findall(r'href="/promotion/events/(\d+)/"', table) == [str(soon.pk)]
    assert 'data-testid="registered-count">1<' in html
    # The event's registrations are all counted in the list (the filter does not narrow the count to the user).
    actions.register_for_event(users["company"], soon)
    assert "2／" in re.search(r'data-testid="events">(.*?)</table>', client.get(url).content.decode(), re.S).group(1)
    # Anonymous visitors get the plain list (no one's registrations).
    from django.test import Client

    anonymous = Client().get(url).content.decode()
    assert "registered-filter" not in anonymous and "別の説明会" in anonymous


def test_a_companys_proposal_counts_link_to_exactly_those_proposals(client_for, users, market):  # noqa: F811
    cid = market["challenge"]["id"]
    company, rival = users["company"], market["rival"]
    only_ours = _copy(cid, proposals=[1], title="公共交通の再編", deadline=in_days(-3))
    _copy(cid, proposals=[1], title="まだ募集中の課題")  # undecided: in the first list, not the second
    _decide(users, only_ours, company, published_days_ago=40)  # decided too long ago: in neither list
    _decide(users, cid, rival)
    client = client_for(company)
    for key in ("promotion-proposals", "promotion-outcomes"):
        url, count = _heading_count(mypage_section(client, key))
        page = client.get(url)
        assert page.status_code == 200
        table = re.search(r'data-testid="organisation-proposals">(.*?)</table>', page.content.decode(), re.S).group(1)
        assert table.count('<th scope="row">') == count == 1, key
        assert f"（{count}件）</h2>" in page.content.decode()
    # Every proposal of the organisation remains one click away.
    org = company.organisation_membership.organisation
    assert "この組織の提案（3件）" in client.get(f"/promotion/organisations/{org.pk}/").content.decode()


def test_a_prefecture_officer_is_told_about_councils_events_and_candidates(client_for, users):
    """What the rules in chiiki.access let a prefecture officer do in 推進体制, on マイページ and at /me/abilities."""
    html = client_for(users["tokyo"]).get("/accounts/mypage/").content.decode()
    assert 'href="/promotion/councils/new">東京都の推進協議会を登録し' in html
    assert 'href="/promotion/events/?prefecture=13&amp;past=1">東京都・域内の市区町村が主催するイベントを編集できます' in html
    assert 'href="/promotion/candidates/?prefecture=13">東京都内の見本となる地域の候補' in html
    abilities = [a["text"] for a in client_for(users["tokyo"]).get("/api/v1/me/abilities").json()["abilities"]]
    assert any(text.startswith("東京都の推進協議会を登録し") for text in abilities)
    own = client_for(users["hachioji"]).get("/accounts/mypage/").content.decode()
    assert "八王子市の推進協議会を登録し" in own and "主催するイベントを編集できます" not in own
    for outsider in ("advisor", "company"):
        page = client_for(users[outsider]).get("/accounts/mypage/").content.decode()
        assert "推進協議会を登録し" not in page and "見本となる地域の候補を確認" not in page


def _decide(users, challenge_id, winner, published_days_ago=0) -> str:
    """八王子市 selects `winner`'s proposal (the others are not selected), published that many days ago; the day
    of publication as マイページ writes it."""
    challenge = Challenge.objects.get(pk=challenge_id)
    chosen = challenge.proposals.get(organisation__members__user=winner)
    actions.select_proposal(users["hachioji"], chosen, amount=3_000_000, version=challenge.version)
    published = timezone.now() - dt.timedelta(days=published_days_ago)
    Challenge.objects.filter(pk=challenge_id).update(outcome_published_at=published)
    return _japanese(timezone.localtime(published).date().isoformat())


def _outcomes(client) -> list[tuple[str, str]] | None:
    """(challenge id, note) of each item of the outcomes section, in the order shown (None: no such section)."""
    section = mypage_section(client, "promotion-outcomes")
    if section is None:
        return None
    return re.findall(r'<li><a href="/promotion/challenges/(\d+)/">[^<]*</a> <span class="small muted">([^<]*)</span>',
                      section)


def test_a_company_reads_the_outcome_of_its_proposals_and_no_one_elses(client_for, users, market,  # noqa: F811
                                                                       django_user_model):
    cid = market["challenge"]["id"]
    company, rival = users["company"], market["rival"]
    only_ours = _copy(cid, proposals=[1], title="公共交通の再編", deadline=in_days(-3))  # the company alone proposed
    assert _outcomes(client_for(company)) is None  # nothing decided yet

    earlier = _decide(users, only_ours, company, published_days_ago=29)
    today = _decide(users, cid, rival)

    # Newest first, each with its outcome and the day it was published; the list before the outcome has neither.
    client = client_for(company)
    assert _outcomes(client) == [(str(cid), f"今回は選定されませんでした・結果の公表 {today}"),
                                 (str(only_ours), f"選定されました・結果の公表 {earlier}")]
    section = mypage_section(client, "promotion-outcomes")
    assert "結果が公表された提案（30日以内）（2件）" in section
    assert mypage_section(client, "promotion-proposals") is None
    # Its list link leads to the organisation's proposals, these two among them.
    table = re.search(r'data-testid="organisation-proposals">(.*?)</table>', follow_section_list(client, section),
                      re.S).group(1)
    assert sorted(re.findall(r'href="/promotion/challenges/(\d+)/"', table)) == sorted([str(cid), str(only_ours)])

    # Another member of the same organisation reads the same.
    colleague = django_user_model.objects.create(username="colleague", role="company")
    OrganisationMember.objects.create(user=colleague, organisation=company.organisation_membership.organisation)
    assert _outcomes(client_for(colleague)) == _outcomes(client)

    # The other organisation reads its own proposal's outcome only, not that of the company's proposal.
    assert _outcomes(client_for(rival)) == [(str(cid), f"選定されました・結果の公表 {today}")]
    # An organisation that did not propose, the municipality that decided, the admin: no such section.
    bystander = django_user_model.objects.create(username="bystander", role="company")
    OrganisationMember.objects.create(user=bystander, organisation=Organisation.objects.create(
        name="提案していない株式会社", kind="company"))
    for other in (bystander, users["hachioji"], users["admin"], users["advisor"]):
        assert _outcomes(client_for(other)) is None, other.username


def test_an_outcome_leaves_mypage_thirty_days_after_it_was_published(client_for, users, market):  # noqa: F811
    cid = market["challenge"]["id"]
    company = client_for(users["company"])
    _decide(users, cid, users["company"], published_days_ago=29)
    assert [note.split("・")[0] for _, note in _outcomes(company)] == ["選定されました"]
    Challenge.objects.filter(pk=cid).update(outcome_published_at=timezone.now() - dt.timedelta(days=30, minutes=1))
    assert _outcomes(company) is None
    assert _outcomes(client_for(market["rival"])) is None


def test_which_closed_challenges_have_proposals_is_told_only_to_their_reviewers(client, client_for, users,
                                                                                market):  # noqa: F811
    """The "awaiting" filter keeps challenges with proposals to judge: for anyone but the reviewers (the
    municipality concerned, the admin), that would tell which challenges received proposals before the outcome."""
    cid = market["challenge"]["id"]
    Challenge.objects.filter(pk=cid).update(deadline=in_days(-1))
    _copy(cid, title="提案のなかった課題", deadline=in_days(-1))
    for viewer in (None, "advisor", "tokyo", "aogashima"):  # a company, the prefecture, another municipality
        other = client_for(users[viewer]) if viewer else client
        assert other.get("/api/v1/challenges?status=awaiting").json() == {"count": 0, "items": []}, viewer
        page = other.get("/promotion/challenges/?status=awaiting").content.decode()
        assert f"/promotion/challenges/{cid}/" not in page, viewer
        # Offered only to those who review some challenge's proposals (another municipality reviews its own).
        assert ('value="awaiting"' in page) == (viewer == "aogashima"), viewer
        csv = other.get("/promotion/challenges/?status=awaiting&format=csv").content.decode("utf-8-sig")
        assert str(cid) not in [line.split(",")[0] for line in csv.splitlines()[1:]], viewer
        for ics in ("/promotion/challenges/deadlines.ics", "/api/v1/challenges/deadlines.ics"):
            assert "高齢者の見守り" not in other.get(f"{ics}?status=awaiting").content.decode(), (viewer, ics)
    for reviewer in ("hachioji", "admin"):
        api = client_for(users[reviewer]).get("/api/v1/challenges?status=awaiting").json()
        assert [item["id"] for item in api["items"]] == [cid], reviewer
        page = client_for(users[reviewer]).get("/promotion/challenges/?status=awaiting").content.decode()
        assert f"/promotion/challenges/{cid}/" in page and 'value="awaiting"' in page, reviewer
