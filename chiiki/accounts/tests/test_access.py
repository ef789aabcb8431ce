"""Every role against every rule of chiiki.access, plus the 404/403 semantics and the scopes."""

from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from chiiki import access
from chiiki.accounts.models import ApiToken, Role, User
from chiiki.core.models import ChangeRecord

ROLES = ["public", "admin", "tokyo", "hachioji", "aogashima", "sapporo", "advisor", "company"]
SIGNED_IN = set(ROLES) - {"public"}
MANAGERS_OF_HACHIOJI = {"admin", "tokyo", "hachioji"}

# rule → (what the rule is asked about, the roles allowed). Objects:
#   "hachioji" = 八王子市 (東京都), "tokyo_pref" = 東京都, "self" = the asking user, "none" = no object.
EXPECTED = {
    "municipality.edit_attributes": ("hachioji", MANAGERS_OF_HACHIOJI),
    "municipality.view_history": ("hachioji", MANAGERS_OF_HACHIOJI),
    "register.import": ("none", {"admin"}),
    "progress.edit": ("hachioji", MANAGERS_OF_HACHIOJI),
    "progress.delete": ("hachioji", {"admin"}),
    "progress.import": ("hachioji", {"admin", "tokyo"}),
    "progress.import_any": ("none", {"admin", "tokyo"}),
    "programs.manage": ("none", {"admin"}),
    "programs.save_search": ("none", SIGNED_IN),
    # opendata (issue 15): a 八王子市 dataset; the 庁内限定 one is in test_scope_datasets below
    "opendata.manage": ("hachioji_dataset", MANAGERS_OF_HACHIOJI),
    "opendata.view_usage": ("hachioji_dataset", MANAGERS_OF_HACHIOJI),
    "opendata.register_use": ("hachioji_dataset", SIGNED_IN),
    "opendata.moderate_use": ("hachioji_dataset", MANAGERS_OF_HACHIOJI),
    "pdca.manage": ("tokyo_pref", {"admin", "tokyo"}),  # pdca: a prefecture's KPIs and reviews
    "pdca.propose": ("none", SIGNED_IN),
    "pdca.judge_proposal": ("none", {"admin"}),
    "cases.edit": ("hachioji", MANAGERS_OF_HACHIOJI),  # pdca: 事例ライブラリ
    "cases.import": ("none", {"admin", "tokyo"}),
    "history.view_all": ("none", {"admin"}),
    # promotion
    "promotion.record_commitment": ("hachioji", MANAGERS_OF_HACHIOJI),
    "promotion.manage": ("none", {"admin"}),
    "promotion.organisation_create": ("none", SIGNED_IN),
    "promotion.organisation_edit": ("none", {"admin"}),  # members: chiiki/promotion/tests/test_organisations.py
    "promotion.council_manage": ("hachioji", MANAGERS_OF_HACHIOJI),
    "promotion.challenge_manage": ("hachioji", MANAGERS_OF_HACHIOJI),
    "promotion.proposals_review": ("hachioji", {"admin", "hachioji"}),
    "promotion.proposal_submit": ("none", {"company"}),
    "promotion.proposal_change": ("none", set()),  # its organisation's company users: test_own_proposals.py
    "promotion.event_create": ("none", SIGNED_IN),
    "promotion.event_edit": ("none", {"admin"}),  # creators, organisers' officers: promotion/tests/test_events.py
    "promotion.event_register": ("none", SIGNED_IN),
    "promotion.event_join": ("none", {"admin"}),  # registrants, organisers: promotion/tests/test_event_join_link.py
    "promotion.plan_roles": ("hachioji_plan", MANAGERS_OF_HACHIOJI),  # promotion: organisations in a plan
    "site.admin": ("none", set()),  # needs is_staff or superuser as well: see test_site_admin
    "database.backup": ("none", set()),  # operator commands only (access.SYSTEM)
    "database.restore": ("none", set()),
    "api_token.create": ("self", SIGNED_IN),
    "api_token.revoke": ("own_token", SIGNED_IN),
    # talent (人材): "advisor_profile" = the advisor's own profile, "advisor_request" = 八王子市's request asked of them
    "talent.manage": ("none", {"admin"}),
    "talent.create_profile": ("none", {"admin", "advisor", "company"}),
    "talent.edit_profile": ("advisor_profile", {"admin", "advisor"}),
    "talent.view_contact": ("advisor_profile", {"admin", "advisor"}),  # no accepted dispatch: see chiiki/talent/tests
    "talent.request": ("hachioji", MANAGERS_OF_HACHIOJI),
    "talent.respond": ("advisor_request", {"admin", "advisor"}),
    "talent.analytics": ("none", {"admin", "tokyo"}),
    # funding: plans and campaigns of 八王子市 (wide-area plans: chiiki/funding/tests/test_plans.py)
    "funding.plan_edit": ("hachioji", MANAGERS_OF_HACHIOJI),
    "funding.campaign_edit": ("hachioji", MANAGERS_OF_HACHIOJI),
    "funding.import": ("none", {"admin", "tokyo", "hachioji", "aogashima", "sapporo"}),
    "funding.revitalisation_edit": ("hachioji", MANAGERS_OF_HACHIOJI),
    "funding.company_register": ("none", {"admin", "company"}),
    "funding.pledge": ("none", {"admin", "company"}),
    "funding.pledge_receive": ("hachioji_pledge", MANAGERS_OF_HACHIOJI),  # the company user's pledge to 八王子市
    "funding.pledge_cancel": ("hachioji_pledge", MANAGERS_OF_HACHIOJI | {"company"}),
    "funding.pledge_view": ("hachioji_pledge", MANAGERS_OF_HACHIOJI | {"company"}),
    "funding.non_grant_import": ("none", {"admin"}),
    "funding.tax_settings": ("none", {"admin"}),
}


def _user(users, role):
    return None if role == "public" else users[role]


def _obj(kind, users, register, user):
    if kind == "hachioji":
        return register["municipalities"]["132012"]
    if kind == "tokyo_pref":
        return register["prefectures"]["13"]
    if kind == "self":
        return user
    if kind == "hachioji_dataset":  # opendata: an unsaved dataset owned by 八王子市
        from chiiki.opendata.models import Dataset

        hachioji = register["municipalities"]["132012"]
        return Dataset(name="hachioji-data", title="八王子市のデータ", municipality=hachioji, prefecture_id="13")
    if kind in ("advisor_profile", "advisor_request"):  # talent (人材): unsaved rows are enough for the rules
        from chiiki.talent.models import TalentProfile, TalentRequest

        profile = TalentProfile(user=users["advisor"])
        if kind == "advisor_profile":
            return profile
        return TalentRequest(municipality=register["municipalities"]["132012"], talent=profile)
    if kind == "hachioji_pledge":  # funding: unsaved rows are enough for the rules
        from chiiki.funding import models as funding

        plan = funding.RevitalisationPlan(municipality=register["municipalities"]["132012"],
                                          prefecture=register["prefectures"]["13"])
        return funding.CorporateDonationPledge(company=funding.Company(owner=users["company"]),
                                               project=funding.RevitalisationProject(plan=plan))
    if kind == "hachioji_plan":  # promotion: an unsaved implementation plan (funding) of 八王子市
        from chiiki.funding.models import ImplementationPlan

        return ImplementationPlan(municipality=register["municipalities"]["132012"], prefecture_id="13")
    if kind == "own_token":
        return ApiToken(user=user, prefix="chk_test") if user is not None else ApiToken(user=users["admin"])
    return None


def test_every_rule_has_expectations():
    missing = set(access.RULES) - set(EXPECTED)
    assert not missing, f"add the new rules to EXPECTED in chiiki/accounts/tests/test_access.py: {sorted(missing)}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("rule", sorted(EXPECTED))
def test_role_against_rule(users, register, rule, role):
    kind, allowed = EXPECTED[rule]
    user = _user(users, role)
    obj = _obj(kind, users, register, user)
    assert access.can(user, rule, obj) is (role in allowed)


@pytest.mark.parametrize("role", ROLES)
def test_rules_on_another_municipality(users, register, role):
    """Nobody but admins manages 札幌市 among these users (tokyo is 東京都, the municipal staff are elsewhere)."""
    sapporo_city = register["municipalities"]["011002"]
    expected = role in {"admin", "sapporo"}
    assert access.can(_user(users, role), "progress.edit", sapporo_city) is expected
    assert access.can(_user(users, role), "progress.import", sapporo_city) is (role == "admin")


@pytest.mark.parametrize("role", ROLES)
def test_prefecture_objects(users, register, role):
    """A prefecture is managed by its prefecture staff and admins, never by municipal staff."""
    assert access.manages(_user(users, role), register["prefectures"]["13"]) is (role in {"admin", "tokyo"})


def test_tokens_for_other_users(users):
    assert access.can(users["admin"], "api_token.create", users["hachioji"])
    for role in SIGNED_IN - {"admin"}:
        other = users["sapporo"] if role == "hachioji" else users["hachioji"]
        assert not access.can(users[role], "api_token.create", other)
    token = ApiToken(user=users["hachioji"])
    assert access.can(users["admin"], "api_token.revoke", token)
    assert not access.can(users["sapporo"], "api_token.revoke", token)


def test_site_admin_needs_staff_status_or_superuser(users, db):
    admin = users["admin"]
    assert not access.can(admin, "site.admin")
    admin.is_staff = True
    assert access.can(admin, "site.admin")
    tokyo = users["tokyo"]
    tokyo.is_staff = True  # staff status alone does not make a prefecture user an administrator
    assert not access.can(tokyo, "site.admin")
    root = User.objects.create_superuser("root", password="x-not-used-123", role=Role.COMPANY)
    assert access.can(root, "site.admin")
    assert access.is_admin(root) and access.role_of(root) == Role.NATIONAL_ADMIN


def test_unknown_action_is_a_programming_error(users):
    with pytest.raises(ValueError):
        access.can(users["admin"], "progress.delete_everything")


def test_role_of(users):
    assert access.role_of(None) == "public"
    assert access.role_of(users["tokyo"]) == Role.PREFECTURE_STAFF
    assert access.role_of(users["company"]) == Role.COMPANY


@pytest.mark.parametrize(("role", "municipality", "prefecture"), [
    ("public", None, None), ("admin", None, None), ("tokyo", None, "13"), ("hachioji", "132012", None),
    ("sapporo", "011002", None), ("advisor", None, None), ("company", None, None),
])
def test_the_place_an_officer_belongs_to(users, role, municipality, prefecture):
    user = _user(users, role)
    assert access.staff_municipality_id(user) == municipality
    assert access.staff_prefecture_id(user) == prefecture
    if user is not None:
        user.is_active = False  # a deactivated officer belongs nowhere any more
        assert access.staff_municipality_id(user) is None and access.staff_prefecture_id(user) is None


@pytest.mark.parametrize(("role", "visible"), [
    ("public", {"public"}),
    ("admin", {"public", "hachioji", "sapporo", "tokyo_pref"}),
    ("tokyo", {"public", "hachioji", "tokyo_pref"}),
    ("hachioji", {"public", "hachioji"}),
    ("sapporo", {"public", "sapporo"}),
    ("advisor", {"public"}),
    ("company", {"public"}),
])
def test_scope_public_or_managed(users, register, role, visible):
    """The rows anyone may see, and the others of the places the user manages (drafts of cases and plans,
    庁内限定 datasets): here change records stand in for them, `system` rows being the public ones."""
    from django.db.models import Q

    m, p = register["municipalities"], register["prefectures"]
    for label, municipality, prefecture in [("public", None, None), ("hachioji", m["132012"], p["13"]),
                                            ("sapporo", m["011002"], m["011002"].prefecture),
                                            ("tokyo_pref", None, p["13"])]:
        ChangeRecord.objects.create(action="update", model="x.y", object_id=label, municipality=municipality,
                                    prefecture=prefecture)
    seen = access.scope_public_or_managed(_user(users, role), ChangeRecord.objects.all(),
                                          Q(municipality__isnull=True, prefecture__isnull=True))
    assert set(seen.values_list("object_id", flat=True)) == visible


# ---- 404 versus 403 ------------------------------------------------------------------------------------------


def test_require_403_for_visible_but_not_changeable(users, register):
    sapporo_city = register["municipalities"]["011002"]
    with pytest.raises(PermissionDenied):
        access.require(users["hachioji"], "progress.edit", sapporo_city)
    with pytest.raises(PermissionDenied):
        access.require(None, "progress.edit", sapporo_city)
    access.require(users["sapporo"], "progress.edit", sapporo_city)  # no exception


def test_require_404_for_what_the_user_may_not_see(users):
    token = ApiToken(user=users["hachioji"])
    with pytest.raises(Http404):
        access.require(users["sapporo"], "api_token.revoke", token)
    with pytest.raises(Http404):
        access.require_view(None, token)
    access.require(users["hachioji"], "api_token.revoke", token)
    access.require(users["admin"], "api_token.revoke", token)


def test_unpublished_rows_are_invisible_outside_their_managers(users, register):
    draft = SimpleNamespace(is_published=False, municipality=register["municipalities"]["132012"])
    assert access.can_view(users["hachioji"], draft)
    assert access.can_view(users["tokyo"], draft)
    assert access.can_view(users["admin"], draft)
    for role in ("public", "aogashima", "sapporo", "advisor", "company"):
        assert not access.can_view(_user(users, role), draft)
        with pytest.raises(Http404):
            access.require(_user(users, role), "progress.edit", draft)
    published = SimpleNamespace(is_published=True, municipality=register["municipalities"]["132012"])
    assert access.can_view(None, published)


# ---- Inactive users count as the public ---------------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(SIGNED_IN))
def test_inactive_users_can_do_nothing(users, register, role):
    user = users[role]
    user.is_active = False
    user.is_superuser = True
    user.is_staff = True
    assert access.role_of(user) == "public"
    assert not access.is_admin(user)
    for rule, (kind, _allowed) in EXPECTED.items():
        assert not access.can(user, rule, _obj(kind, users, register, user)), rule
    ChangeRecord.objects.create(action="update", model="regions.municipality", object_id="x",
                                municipality=user.municipality, prefecture=user.prefecture)
    assert access.scope_history(user, ChangeRecord.objects.all()).count() == 0
    assert access.scope_managed_municipalities(user, type(register["municipalities"]["011002"]).objects.all()).count() == 0


# ---- Scopes -----------------------------------------------------------------------------------------------


@pytest.fixture
def records(register, users):
    m, p = register["municipalities"], register["prefectures"]

    def make(label, municipality=None, prefecture=None):
        return ChangeRecord.objects.create(
            action="update", model="regions.municipality", object_id=label, object_repr=label,
            municipality=municipality, prefecture=prefecture or (municipality.prefecture if municipality else None),
        )

    return {
        "hachioji": make("hachioji", m["132012"]),
        "aogashima": make("aogashima", m["134023"]),
        "sapporo": make("sapporo", m["011002"]),
        "tokyo_pref": make("tokyo_pref", prefecture=p["13"]),
        "system": make("system"),
    }


@pytest.mark.parametrize(("role", "visible"), [
    ("public", set()),
    ("admin", {"hachioji", "aogashima", "sapporo", "tokyo_pref", "system"}),
    ("tokyo", {"hachioji", "aogashima", "tokyo_pref"}),
    ("hachioji", {"hachioji"}),
    ("aogashima", {"aogashima"}),
    ("sapporo", {"sapporo"}),
    ("advisor", set()),
    ("company", set()),
])
def test_scope_history(users, records, role, visible):
    seen = access.scope_history(_user(users, role), ChangeRecord.objects.all())
    assert set(seen.values_list("object_id", flat=True)) == visible


def test_scope_history_of_prefecture_record_without_prefecture_field(users, register):
    """Records that name only the municipality still reach the prefecture's staff."""
    ChangeRecord.objects.create(action="create", model="x.y", object_id="1",
                                municipality=register["municipalities"]["131016"])
    assert access.scope_history(users["tokyo"], ChangeRecord.objects.all()).count() == 1
    assert access.scope_history(users["hachioji"], ChangeRecord.objects.all()).count() == 0


@pytest.mark.parametrize(("role", "codes"), [
    ("public", set()),
    ("admin", {"011002", "012025", "013315", "131016", "132012", "134023", "322016", "325252"}),
    ("tokyo", {"131016", "132012", "134023"}),
    ("hachioji", {"132012"}),
    ("sapporo", {"011002"}),
    ("advisor", set()),
    ("company", set()),
])
def test_scope_managed_municipalities(users, register, role, codes):
    from chiiki.regions.models import Municipality

    scoped = access.scope_managed_municipalities(_user(users, role), Municipality.objects.all())
    assert set(scoped.values_list("code", flat=True)) == codes


def test_staff_without_affiliation_manage_nothing(db, register):
    from chiiki.regions.models import Municipality

    lost = User.objects.create_user("lost", password="x-not-used-123", role=Role.PREFECTURE_STAFF)
    assert access.scope_managed_municipalities(lost, Municipality.objects.all()).count() == 0
    assert not access.can(lost, "progress.import_any")
    assert not access.can(lost, "progress.edit", register["municipalities"]["132012"])
    assert access.scope_history(lost, ChangeRecord.objects.all()).count() == 0


def test_system_actor_has_every_right_and_none_has_none(register):
    from django.core.exceptions import PermissionDenied

    from chiiki.access import SYSTEM
    from chiiki.regions.models import Municipality

    municipality = Municipality.objects.get(pk="132012")
    for action in access.RULES:
        assert access.can(SYSTEM, action, municipality), action
        access.require(SYSTEM, action, municipality)
    # A missing user is anonymous, never the system.
    assert not access.can(None, "progress.edit", municipality)
    with pytest.raises(PermissionDenied):
        access.require(None, "progress.import_any")


@pytest.mark.parametrize("role", ROLES)
def test_scope_datasets(users, register, role):
    """opendata: public datasets for everyone; a 庁内限定 one for those who manage its owner (八王子市 here,
    東京都 for a prefecture's own), never for anyone else."""
    from chiiki.opendata.models import Dataset

    m = register["municipalities"]
    Dataset.objects.create(name="public-one", title="公開", municipality=m["011002"], prefecture_id="01")
    Dataset.objects.create(name="hachioji-internal", title="庁内", municipality=m["132012"], prefecture_id="13",
                           visibility="internal")
    Dataset.objects.create(name="tokyo-internal", title="都庁内", prefecture_id="13", visibility="internal")
    Dataset.objects.create(name="national-internal", title="国庁内", visibility="internal")
    seen = set(access.scope_datasets(_user(users, role), Dataset.objects.all()).values_list("name", flat=True))
    expected = {"public-one"}
    if role in MANAGERS_OF_HACHIOJI:
        expected.add("hachioji-internal")
    if role in {"admin", "tokyo"}:
        expected.add("tokyo-internal")
    if role == "admin":
        expected.add("national-internal")
    assert seen == expected
    for dataset in Dataset.objects.all():  # the scope and the per-object rule agree
        assert access.can_view(_user(users, role), dataset) is (dataset.name in expected)


@pytest.mark.django_db
def test_manages_a_place_answers_as_the_scope_of_municipalities_does(users, register):
    """The progress pages offer 進捗の入力 on manages_a_place (no query) instead of the scope's exists()."""
    from chiiki.regions.models import Municipality

    inactive = User.objects.create(username="gone", role=Role.MUNICIPAL_STAFF, is_active=False,
                                   municipality=users["hachioji"].municipality)
    unplaced = User.objects.create(username="unplaced", role=Role.PREFECTURE_STAFF)
    for user in [*users.values(), inactive, unplaced]:
        expected = access.scope_managed_municipalities(user, Municipality.objects.all()).exists()
        assert access.manages_a_place(user) is expected, user.username
    assert access.manages_a_place(users["tokyo"]) and not access.manages_a_place(inactive)
