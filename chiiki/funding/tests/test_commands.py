"""The import commands: the same importers as the pages and the API, all or nothing, --user and --dry-run."""

import pytest
from django.core.management import CommandError, call_command

from chiiki.funding.models import FundingLine, NonGrantStatus

from .conftest import GENERAL, PLANNED


def test_import_non_grant(tmp_path, register, capsys):
    path = tmp_path / "non_grant.csv"
    path.write_bytes("団体コード,年度,不交付団体,三大都市圏\r\n132012,2026,はい,はい\r\n".encode("cp932"))
    call_command("import_non_grant", str(path), "--dry-run")
    assert not NonGrantStatus.objects.exists()
    call_command("import_non_grant", str(path))
    assert NonGrantStatus.objects.get().excluded
    assert "新規 1件" in capsys.readouterr().out
    path.write_bytes("団体コード,年度,不交付団体,三大都市圏\r\n132012,2026,はい,不明\r\n".encode("cp932"))
    with pytest.raises(CommandError, match="1件の誤り"):
        call_command("import_non_grant", str(path))


def test_import_funding_lines_as_a_user(tmp_path, users, plan_factory, client_for):
    plan = plan_factory([(2026, "implementation", 100, [(GENERAL, 100, PLANNED, None)])], status="published")
    export = client_for(users["hachioji"]).get(f"/funding/lines/?plan={plan.pk}&format=csv").content
    path = tmp_path / "lines.csv"
    path.write_bytes(export.replace("予定".encode(), "受領".encode()))
    with pytest.raises(CommandError):  # sapporo may not edit 八王子市's plan
        call_command("import_funding_lines", str(path), "--user", "sapporo")
    call_command("import_funding_lines", str(path), "--user", "hachioji")
    assert FundingLine.objects.get().state == "received"
