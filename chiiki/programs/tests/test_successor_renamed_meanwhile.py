"""A program saved with a successor renamed meanwhile is refused, not left naming an ID no longer there."""

import pytest

from chiiki.core.errors import Invalid
from chiiki.programs import actions
from chiiki.programs.catalog import row_of
from chiiki.programs.models import SupportProgram
from chiiki.testing import meanwhile

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_successor_renamed_meanwhile_is_refused(catalog, users, monkeypatch):
    successor = SupportProgram.objects.get(public_id="MIC-ICT-ADVISOR")
    program = SupportProgram.objects.exclude(pk=successor.pk).exclude(successor="MIC-ICT-ADVISOR").first()
    row = row_of(program)
    row["successor"] = "MIC-ICT-ADVISOR"

    def rename():
        renamed = row_of(successor)
        renamed["id"] = "MIC-ICT-ADVISOR-2"
        actions.save_program(users["admin"], successor, renamed, version=successor.version)

    meanwhile(monkeypatch, actions, rename)  # runs as the save opens its transaction, after the lookup
    with pytest.raises(Invalid) as refused:
        actions.save_program(users["admin"], program, row, version=program.version)
    assert refused.value.errors == {"successor": "後継のID MIC-ICT-ADVISOR は登録されていません"}
    assert SupportProgram.objects.get(pk=program.pk).successor != "MIC-ICT-ADVISOR"
    assert SupportProgram.objects.filter(public_id="MIC-ICT-ADVISOR-2").exists()
