"""E-mail to a proposing organisation when the municipality moves its proposal (候補, 選定, 非選定) or withdraws the
challenge, sent after commit the way talent.notify tells a request's people of each move (console backend by
default: settings.EMAIL_BACKEND)."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from chiiki.accounts.models import User

from .models import Proposal, ProposalStatus

_NEWS = {
    ProposalStatus.SHORTLISTED: "候補に選ばれました。選定の結果は、課題を出した団体が公表します。",
    ProposalStatus.SUBMITTED: "候補から外れました（審査は続いています）。",
    ProposalStatus.SELECTED: "選定されました。課題のページで結果が公表されています。",
    ProposalStatus.NOT_SELECTED: "今回は選定されませんでした。課題のページで結果が公表されています。",
}


def recipients(proposal: Proposal) -> list[str]:
    """The organisation's members: the user who submitted the proposal and the others, who may change it too. One
    who has left the organisation is not told (the proposal is the organisation's, confidential until the outcome)."""
    return sorted(set(User.objects.filter(is_active=True, organisation_membership__organisation_id=proposal.organisation_id)
                      .exclude(email="").values_list("email", flat=True)))


def proposal_moved(proposal: Proposal) -> None:
    """Call inside the transaction that changed proposal.status: the mail goes only if it commits."""
    to = recipients(proposal)
    if not to:
        return
    challenge = proposal.challenge
    status = ProposalStatus(proposal.status)
    url = settings.SITE_URL.rstrip("/") + challenge.get_absolute_url()
    subject = f"【Chiiki 課題への提案】{challenge.municipality.name}「{challenge.title}」: {status.label}"
    body = (f"{proposal.organisation.name}が{challenge.municipality.full_name}の課題「{challenge.title}」に出した提案が"
            f"{_NEWS[status]}\n\n詳細: {url}\n")
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to, fail_silently=True))


def challenge_withdrawn(challenge) -> None:
    """Call inside the transaction that withdrew the challenge: each organisation with a proposal on it is told why."""
    url = settings.SITE_URL.rstrip("/") + challenge.get_absolute_url()
    subject = f"【Chiiki 課題への提案】{challenge.municipality.name}「{challenge.title}」: 課題の取下げ"
    for proposal in challenge.proposals.select_related("organisation"):
        to = recipients(proposal)
        if not to:
            continue
        body = (f"{proposal.organisation.name}が提案した{challenge.municipality.full_name}の課題「{challenge.title}」は、"
                f"課題を出した団体が取り下げました。\n\n取下げの理由: {challenge.withdrawal_reason}\n\n詳細: {url}\n")
        transaction.on_commit(lambda to=to, body=body: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to,
                                                                 fail_silently=True))
