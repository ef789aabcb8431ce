"""load_boundaries records its changes as a command's, also when run as a named user."""

from io import StringIO

from django.core.management import call_command

from chiiki.core.models import ChangeRecord

from . import topo_fixture


def test_load_boundaries_as_a_user_is_recorded_as_a_command(users, tmp_path):
    directory = tmp_path / "boundaries"
    topo_fixture.write(directory)

    call_command("load_boundaries", str(directory), "--user", "admin", stdout=StringIO())

    record = ChangeRecord.objects.filter(model="regions.municipality", object_id="131016").get()
    assert record.actor_label == "admin"
    assert record.source == "command"  # 管理コマンド, not 画面からの入力
