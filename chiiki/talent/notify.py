"""E-mail for every move of a request (console backend by default: settings.EMAIL_BACKEND), sent after commit."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from chiiki.accounts.models import Role, User


def recipients(request, *, admins=False, municipality=False, talent=False) -> list[str]:
    emails: list[str] = []
    if admins:
        emails += User.objects.filter(role=Role.NATIONAL_ADMIN, is_active=True).exclude(email="").values_list(
            "email", flat=True)
    if municipality:
        emails += User.objects.filter(role=Role.MUNICIPAL_STAFF, municipality_id=request.municipality_id,
                                      is_active=True).exclude(email="").values_list("email", flat=True)
    if talent and request.talent_id:
        profile = request.talent
        if profile.email:
            emails.append(profile.email)
        elif profile.user_id and profile.user.email:
            emails.append(profile.user.email)
    return sorted(set(emails))


def send(request, status_label: str, to: list[str], note: str = "") -> None:
    if not to:
        return
    url = settings.SITE_URL.rstrip("/") + reverse("talent:request", args=[request.pk])
    subject = f"【Chiiki 人材派遣】{request.municipality.name}「{request.title}」: {status_label}"
    body = (f"派遣依頼「{request.title}」（{request.municipality.full_name}）の状態が「{status_label}」になりました。\n"
            + (f"\n{note}\n" if note else "") + f"\n詳細: {url}\n")
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to, fail_silently=True))
