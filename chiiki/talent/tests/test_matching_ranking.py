"""The rankings of matching.candidates pinned: hand-built ties and rounding edges, and a randomized comparison with
a plain Python reading of the formula (docs/decisions/0016) on a few hundred generated profiles. The database
only shortlists (it scores the pool and returns the rows that can reach the top `limit`); these tests make sure
the shortlist never drops a row that belongs on a list, on SQLite and on PostgreSQL."""

import datetime as dt
import random
from fractions import Fraction

import pytest

from chiiki import access
from chiiki.core.fiscal import current_fiscal_year
from chiiki.talent import actions, matching
from chiiki.talent.models import (
    APPROVED_STATES,
    Format,
    ProfileCapability,
    Status,
    TalentProfile,
    TalentRequest,
    Visit,
)

from .conftest import request_data

REQUIRED = ["CAP-HLT-07", "CAP-HLT-09", "CAP-COM-07"]
DESIRED = ["CAP-COM-03", "CAP-COM-01", "CAP-EDU-01"]
DONE = (Status.REPORTED, Status.RATED, Status.COMPLETED)


def _talent(name, caps, *, days="0", hours="0", home="01", served=(), online=False, sectors=()):
    profile = TalentProfile.objects.create(display_name=name, kind="regional_it_advisor", sectors=list(sectors),
                                           home_prefecture_id=home, online_available=online, available_days=days,
                                           available_hours=hours)
    profile.prefectures_served.set(served)
    ProfileCapability.objects.bulk_create([ProfileCapability(profile=profile, capability_id=c, level=2)
                                           for c in caps])
    return profile


def _past(profile, municipality, *, sector="education", status=Status.COMPLETED, rating=None, year=None,
          visit_days=0, hours=3):
    """A past request of `profile` with `visit_days` visits on distinct dates."""
    year = year or current_fiscal_year()
    done = TalentRequest.objects.create(municipality=municipality, sector_id=sector, fiscal_year=year, title="過去",
                                        vision="過去の依頼", status=status, talent=profile, rating=rating)
    Visit.objects.bulk_create([Visit(request=done, date=dt.date(year, 5, 1 + n), hours=hours, mode="onsite")
                               for n in range(visit_days)])
    return done


@pytest.fixture
def hachioji(register):
    return register["municipalities"]["132012"]


def test_equal_rounded_scores_keep_load_balance_then_id_even_at_the_cut(users, vocabulary, hachioji):
    """67.083… and 67.142… both round to 67.1: the older profile ranks first although its raw score is lower, and
    it is the one shown when only one fits (the shortlist keeps every row within reach of the cut)."""
    request_ = actions.create_request(access.SYSTEM, hachioji, request_data(
        required=REQUIRED[:2], desired=[], format="onsite", sector="health"))
    older = _talent("先", REQUIRED[:2], days="1.5", home="13")
    newer = _talent("後", REQUIRED[:2], days="3.5", home="13")
    _past(older, hachioji, rating=4, visit_days=1)  # 50 + 10 + 10 × 5/15 + 3.75 = 67.083…
    _past(newer, hachioji, rating=1, visit_days=1)  # 50 + 10 + 10 × 25/35 + 0 = 67.142…
    for limit in (None, 2, 1):
        ranked = matching.candidates(request_, limit=limit)["ranked"]
        assert [c.profile_id for c in ranked] == [older.pk, newer.pk][:limit]
        assert {c.score for c in ranked} == {67.1}
    # A third profile with one dispatch fewer wins the tie at 67.1 (raw 67.083… again).
    fresh = _talent("余裕", REQUIRED[:2], days="1.5", home="13")
    _past(fresh, hachioji, rating=4, visit_days=1, year=current_fiscal_year() - 1)
    Visit.objects.create(request=_past(fresh, hachioji, status=Status.DECLINED), date=dt.date(
        current_fiscal_year(), 6, 1), hours=3, mode="onsite")
    ranked = matching.candidates(request_, limit=1)["ranked"]
    assert [(c.profile_id, c.score, c.dispatches_this_year) for c in ranked] == [(fresh.pk, 67.1, 0)]


def test_rounding_at_the_half_follows_python(users, vocabulary, hachioji):
    """71.25 is exact in binary and rounds half to even (71.2), as Python's round does; numeric rounding in the
    database would give 71.3 — the score shown must be the formula's."""
    request_ = actions.create_request(access.SYSTEM, hachioji, request_data(
        required=REQUIRED[:2], desired=[], format="onsite", sector="health"))
    half = _talent("半", REQUIRED[:2], days="1.0", home="13")
    _past(half, hachioji, rating=2, year=current_fiscal_year() - 1)  # 50 + 10 + 10 + 1.25
    above = _talent("上", REQUIRED[:2], days="1.0", home="13")  # 50 + 10 + 10 + 2.5 (no rating) = 72.5
    ranked = matching.candidates(request_, limit=1)["ranked"]
    assert [(c.profile_id, c.score) for c in ranked] == [(above.pk, 72.5)]
    ranked = matching.candidates(request_)["ranked"]
    assert [(c.profile_id, c.score) for c in ranked] == [(above.pk, 72.5), (half.pk, 71.2)]


def test_partial_list_is_cut_on_its_own(users, vocabulary, hachioji):
    """The `limit` applies to each list separately: a long partial list does not push full candidates out."""
    request_ = actions.create_request(access.SYSTEM, hachioji, request_data(
        required=REQUIRED[:2], desired=[], format="onsite", sector="health"))
    partial = [_talent(f"一部{i}", REQUIRED[:1], days="1.0", home="13", sectors=["health"]) for i in range(4)]
    full = _talent("全部", REQUIRED[:2])
    found = matching.candidates(request_, limit=2)
    assert [c.profile_id for c in found["ranked"]] == [full.pk]
    assert [c.profile_id for c in found["partial"]] == [p.pk for p in partial[:2]]


# ---- randomized: the implementation against a plain reading of the formula ---------------------------------------

def _reference(request_: TalentRequest) -> dict:
    """FORMULA read literally, one profile at a time, from the ORM; exact fractions for the availability share."""
    year = request_.fiscal_year
    required = list(request_.required.values_list("pk", flat=True))
    desired = list(request_.desired.values_list("pk", flat=True))
    place = request_.municipality.prefecture_id
    neighbours = matching.neighbouring_prefectures(place)
    full, partial = [], []
    for profile in TalentProfile.objects.filter(skills__capability_id__in=required).distinct():
        caps = set(profile.skills.values_list("capability_id", flat=True))
        past = list(TalentRequest.objects.filter(talent=profile))
        count = sum(1 for r in past if r.fiscal_year == year and r.status in APPROVED_STATES and r.pk != request_.pk)
        ratings = [r.rating for r in past if r.rating is not None]
        average = sum(ratings) / len(ratings) if ratings else None
        if any(r.sector_id == request_.sector_id and r.status in DONE for r in past):
            sector = 10
        else:
            sector = 5 if request_.sector_id in profile.sectors else 0
        served = set(profile.prefectures_served.values_list("code", flat=True))
        if profile.home_prefecture_id == place or place in served:
            distance = "same"
        elif profile.home_prefecture_id in neighbours or served & neighbours:
            distance = "neighbour"
        elif request_.format in (Format.ONLINE, Format.MIXED) and profile.online_available:
            distance = "online"
        else:
            distance = "none"
        visits = Visit.objects.filter(request__talent=profile, request__fiscal_year=year)
        used_days = len({v.date for v in visits})
        used_hours = sum((Fraction(v.hours) for v in visits), Fraction(0))
        if profile.available_days > 0:
            share = float(max(Fraction(profile.available_days) - used_days, 0) / Fraction(profile.available_days))
        elif profile.available_hours > 0:
            share = float(max(Fraction(profile.available_hours) - used_hours, 0) / Fraction(profile.available_hours))
        else:
            share = 0.0
        req_n, des_n = len(caps & set(required)), len(caps & set(desired))
        score = 50 * req_n / len(required) + (15 * des_n / len(desired) if desired else 0)
        score += sector + {"same": 10, "neighbour": 6, "online": 4, "none": 0}[distance] + 10 * share + (
            5 * (average - 1) / 4 if average is not None else 2.5)
        row = (-round(score, 1), count, profile.pk, distance, sector)
        (full if req_n == len(required) else partial).append(row)
    return {"ranked": sorted(full), "partial": sorted(partial)}


def _generate(rng, register, n):
    m = register["municipalities"]
    m["131016"].neighbours.add(m["322016"])  # 東京都 and 島根県 neighbour each other here
    places = [m["132012"], m["322016"], m["011002"]]
    caps = REQUIRED + DESIRED
    for i in range(n):
        profile = _talent(f"生成{i:03d}", rng.sample(caps, rng.randint(1, 5)),
                          days=rng.choice(["0", "0.5", "1.5", "2", "3", "3.5", "7", "10"]),
                          hours=rng.choice(["0", "2.5", "10", "12.5"]), home=rng.choice(["01", "13", "32", None]),
                          served=rng.sample(["01", "13", "32"], rng.randint(0, 2)), online=rng.random() < 0.5,
                          sectors=rng.sample(["health", "education", "disaster"], rng.randint(0, 2)))
        for _ in range(rng.choice([0, 0, 1, 2, 3])):
            _past(profile, rng.choice(places), sector=rng.choice(["health", "education"]),
                  status=rng.choice([Status.COMPLETED, Status.RATED, Status.ACCEPTED, Status.DECLINED, Status.ASKED]),
                  rating=rng.choice([None, 1, 2, 3, 4, 5]), year=current_fiscal_year() - rng.choice([0, 0, 1]),
                  visit_days=rng.randint(0, 3), hours=rng.choice(["1.5", "2", "3"]))


@pytest.mark.parametrize("seed", [1, 2])
def test_randomized_rankings_match_the_formula(users, vocabulary, register, seed):
    rng = random.Random(seed)
    _generate(rng, register, 150)
    m = register["municipalities"]
    cases = [
        (m["132012"], REQUIRED[:2], DESIRED[:2], "mixed", "health"),
        (m["132012"], REQUIRED, DESIRED, "onsite", "education"),
        (m["322016"], REQUIRED[:1], DESIRED[:1], "online", "health"),
        (m["011002"], REQUIRED[1:], [], "mixed", "education"),
    ]
    for place, required, desired, fmt, sector in cases:
        request_ = actions.create_request(access.SYSTEM, place, request_data(
            required=required, desired=desired, format=fmt, sector=sector))
        expected = _reference(request_)
        assert expected["ranked"] and (expected["partial"] or len(required) == 1)  # the cases are not empty
        for limit in (None, 1, 3, 10, 50):
            found = matching.candidates(request_, limit=limit)
            for key in ("ranked", "partial"):
                got = [(-c.score, c.dispatches_this_year, c.profile_id, c.distance, c.sector_points)
                       for c in found[key]]
                assert got == expected[key][:limit], (key, limit)
