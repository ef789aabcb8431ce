"""The daily e-mail digest of saved searches that opted in to alerts (new matches, closing within 14 days)."""

import datetime as dt

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from chiiki.core.dates import japanese_date

from .models import AlertDelivery, SavedSearch
from .search import SearchRequest, run_search
from .windows import days_after

CLOSING_DAYS = 14
SALT = "chiiki.programs.alerts"


def unsubscribe_token(saved: SavedSearch) -> str:
    return signing.dumps({"s": saved.pk, "o": saved.owner_id}, salt=SALT, compress=True)


UNSUBSCRIBE_DAYS = 90  # a mail's link stops working after this (mail is archived and forwarded)


class ExpiredToken(Exception):
    """The unsubscribe link is older than UNSUBSCRIBE_DAYS."""


def read_token(token: str):
    """The SavedSearch a token names, or None if the token is bad or the search is gone.

    Raises ExpiredToken for a genuine link older than UNSUBSCRIBE_DAYS."""
    try:
        data = signing.loads(token, salt=SALT, max_age=dt.timedelta(days=UNSUBSCRIBE_DAYS))
    except signing.SignatureExpired:
        raise ExpiredToken from None
    except signing.BadSignature:
        return None
    return SavedSearch.objects.filter(pk=data.get("s"), owner_id=data.get("o")).first()


def _url(path: str) -> str:
    return settings.SITE_URL + path


def digest_for(saved: SavedSearch, today: dt.date):
    """(new hits, closing-soon hits, all ids) for one saved search."""
    result = run_search(SearchRequest.from_querystring(saved.params), user=saved.owner, today=today,
                        page_size=100_000)
    seen = set(saved.seen_program_ids or [])
    new = [h for h in result.all_items if h.public_id not in seen]
    horizon = days_after(today, CLOSING_DAYS)
    closing = [h for h in result.all_items
               if h.status.code == "open" and h.status.next_deadline and today <= h.status.next_deadline <= horizon
               and not h.status.always]
    return new, closing, [h.public_id for h in result.all_items]


def send_digests(today: dt.date | None = None, stdout=None) -> dict:
    """Send at most one digest per user per day. Safe to run repeatedly (cron)."""
    today = today or timezone.localdate()
    counts = {"users": 0, "sent": 0, "skipped_already_sent": 0, "nothing_to_send": 0}
    searches = SavedSearch.objects.filter(alerts=True, owner__is_active=True).select_related("owner")
    by_user: dict[int, list[SavedSearch]] = {}
    for saved in searches:
        if saved.owner.email:
            by_user.setdefault(saved.owner_id, []).append(saved)
    for user_searches in by_user.values():
        user = user_searches[0].owner
        counts["users"] += 1
        if AlertDelivery.objects.filter(user=user, day=today).exists():
            counts["skipped_already_sent"] += 1
            continue
        sections, seen_updates, total = [], {}, 0
        for saved in user_searches:
            new, closing, ids = digest_for(saved, today)
            seen_updates[saved.pk] = ids
            if not new and not closing:
                continue
            total += len(new) + len(closing)
            lines = [f"■ {saved.name}", f"  検索条件: {_url(reverse('programs:index'))}?{saved.params}"]
            if new:
                lines.append("  新しく該当した支援メニュー:")
                lines += [f"  ・{h.program.name}（{h.program.provider}） {_url(h.program.get_absolute_url())}"
                          for h in new]
            if closing:
                lines.append(f"  {CLOSING_DAYS}日以内に締切:")
                lines += [f"  ・{japanese_date(h.status.next_deadline)}{h.status.deadline_note} {h.program.name} "
                          f"{_url(h.program.get_absolute_url())}" for h in closing]
            lines.append(f"  この検索の通知を停止: {_url(reverse('programs:unsubscribe', args=[unsubscribe_token(saved)]))}")
            sections.append("\n".join(lines))
        if not sections:
            counts["nothing_to_send"] += 1
            continue
        try:
            with transaction.atomic():
                AlertDelivery.objects.create(user=user, day=today, program_count=total)
                for pk, ids in seen_updates.items():
                    SavedSearch.objects.filter(pk=pk).update(seen_program_ids=ids)
                body = "\n\n".join([
                    f"{user.get_full_name() or user.username} 様",
                    f"保存した検索に該当する支援メニューのお知らせです（{japanese_date(today)}）。",
                    *sections,
                    "このメールは地域IoT実装推進プラットフォーム（Chiiki）で通知を有効にした検索について、1日1回お送りしています。",
                ])
                first = user_searches[0]
                unsubscribe = _url(reverse("programs:unsubscribe", args=[unsubscribe_token(first)]))
                message = EmailMessage(
                    subject=f"【Chiiki】支援メニューのお知らせ {today:%Y/%m/%d}（{total}件）",
                    body=body, to=[user.email],
                    headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
                )
                message.send()
        except IntegrityError:  # another run sent today's digest concurrently
            counts["skipped_already_sent"] += 1
            continue
        counts["sent"] += 1
    return counts
