"""Reads of single programs shared by the pages and the API (searching: search.py; the navigator: navigator.py)."""

from django.http import Http404

from .models import SupportProgram


def get_program(public_id: str) -> SupportProgram:
    program = SupportProgram.objects.filter(public_id=public_id).first()
    if program is None:
        raise Http404(f"支援メニュー {public_id} は見つかりません")
    return program
