"""Deleting an account on the admin site empties the links that named it (a profile's own account, the company it
registered) as recorded edits: history shows them, the rows get a new version, cached pages drop the link."""

from django.db import models

from chiiki.accounts import actions as account_actions
from chiiki.accounts.models import User
from chiiki.core import history
from chiiki.core.models import ChangeRecord
from chiiki.funding import actions as funding_actions
from chiiki.talent.models import TalentProfile

# Columns that say who created, submitted or last updated a row: no row's history keeps them (delete_user empties them
# silently). Every other SET_NULL relation to an account must be one of accounts.actions.LINKS.
ATTRIBUTION = {
    "cases.case.created_by", "funding.implementationplan.created_by", "funding.corporatedonationpledge.pledged_by",
    "opendata.usecase.submitted_by", "pdca.review.created_by", "pdca.institutionproposal.proposer",
    "progress.progressrecord.updated_by", "promotion.commitment.created_by", "promotion.modelregion.designated_by",
    "promotion.challenge.created_by", "promotion.proposal.submitted_by", "promotion.event.created_by",
    "talent.talentrequest.created_by",
}


def _delete_on_admin_site(client_for, users, person):
    admin = users["admin"]
    admin.is_staff = True
    admin.save()
    return client_for(admin).post(f"/django-admin/accounts/user/{person.pk}/delete/", {"post": "yes"})


def _unlinked(model, pk, attname):
    return ChangeRecord.objects.filter(model=model, object_id=str(pk), action="update",
                                       after={attname: None}).last()


def test_deleting_a_users_account_on_the_admin_site_records_the_profile_losing_its_account(
        client_for, users, advisor_profile):
    person = users["advisor"]
    profile = TalentProfile.objects.get(pk=advisor_profile.pk)
    assert profile.user_id == person.pk
    version, talent_data = profile.version, history.version("talent")
    response = _delete_on_admin_site(client_for, users, person)
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.user_id is None
    record = ChangeRecord.objects.filter(model="talent.talentprofile", object_id=str(profile.pk),
                                         action="update").last()
    assert record is not None and record.before == {"user_id": person.pk} and record.after == {"user_id": None}
    assert record.source == history.ADMIN_SITE and record.actor == users["admin"]
    assert record.municipality_id is None and record.prefecture_id is None  # as link_account records it
    assert "advisor" not in record.object_repr
    assert profile.version == version + 1
    assert history.version("talent") > talent_data


def test_an_edit_form_read_before_the_account_was_deleted_is_stale(client_for, users, advisor_profile):
    read = TalentProfile.objects.get(pk=advisor_profile.pk).version
    _delete_on_admin_site(client_for, users, users["advisor"])
    # The form still shows the deleted account: saving it links the company's account over a change not seen.
    response = client_for(users["admin"]).post(f"/talent/profiles/{advisor_profile.pk}/account",
                                               {"username": "company", "version": read})
    assert response.status_code == 409
    assert TalentProfile.objects.get(pk=advisor_profile.pk).user_id is None


def test_deleting_a_company_users_account_records_the_company_losing_its_owner(client_for, users, register):
    person = users["company"]
    company = funding_actions.register_company(person, name="株式会社サンプル", corporate_number="7000012050002",
                                               head_office=register["municipalities"]["132012"])
    funding_data = history.version("funding")
    assert _delete_on_admin_site(client_for, users, person).status_code == 302
    company.refresh_from_db()
    assert company.owner_id is None
    record = _unlinked("funding.company", company.pk, "owner_id")
    assert record is not None and record.before == {"owner_id": person.pk}
    assert "company" not in record.object_repr
    assert history.version("funding") > funding_data


def test_deleting_an_account_that_created_rows_records_nothing_about_them(users, advisor_profile, hachioji_request):
    # created_by is in no row's history: nothing to record, and an officer's open form is not made stale by it.
    admin, person = users["admin"], users["hachioji"]
    admin.is_staff = True
    admin.save()
    request_version = hachioji_request.version
    account_actions.delete_user(admin, person)
    hachioji_request.refresh_from_db()
    assert hachioji_request.created_by_id is None and hachioji_request.version == request_version
    assert not ChangeRecord.objects.filter(model="talent.talentrequest", action="update",
                                           after={"created_by_id": None}).exists()


def test_every_relation_an_account_delete_empties_is_recorded_or_attribution():
    emptied = {f"{rel.related_model._meta.label_lower}.{rel.field.name}"
               for rel in User._meta.get_fields(include_hidden=True)
               if rel.auto_created and not rel.concrete and rel.on_delete is models.SET_NULL
               and rel.related_model is not ChangeRecord}
    links = {f"{label.lower()}.{name}" for label, name in account_actions.LINKS}
    assert emptied == links | ATTRIBUTION
