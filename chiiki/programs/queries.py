"""Reads of single programs shared by the pages and the API (searching: search.py; the navigator: navigator.py)."""

from django.db.models import Q
from django.http import Http404

from chiiki.core.text import nfkc

from .models import SupportProgram


def get_program(public_id: str) -> SupportProgram:
    program = SupportProgram.objects.filter(public_id=public_id).first()
    if program is None:
        raise Http404(f"支援メニュー {public_id} は見つかりません")
    return program


def managed_programs(*, q: str = "", edited: str = ""):
    """The catalog as the management list shows and exports it: ID・名称・提供者 containing `q`; edited="1":
    only those an administrator changed since the reference data was loaded."""
    qs = SupportProgram.objects.order_by("public_id")
    q = nfkc(q or "").strip().replace("\x00", "")
    if q:
        qs = qs.filter(Q(public_id__icontains=q) | Q(name__icontains=q) | Q(provider__icontains=q))
    if edited == "1":
        qs = qs.filter(edited_since_load=True)
    return qs
