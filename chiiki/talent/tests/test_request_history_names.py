"""The 経過 of a request names who took each step only to those who may read the municipality's history."""

from chiiki.accounts.models import Role, User
from chiiki.talent import actions

from .conftest import move, profile_data


def _declined_then_asked(users, request_, advisor_profile):
    first = User.objects.create(username="yamada-taro-private", role=Role.ADVISOR)
    first_profile = actions.create_profile(first, profile_data(display_name="山田 太郎", email="t@example.jp"))
    move(request_, "submit", users["hachioji"])
    move(request_, "receive")
    move(request_, "ask", talent=first_profile)
    move(request_, "decline", first, reason="日程が合いません")
    move(request_, "ask", talent=advisor_profile)


def test_a_talent_asked_later_does_not_see_who_declined_before(users, client_for, hachioji_request, advisor_profile,
                                                              rounds, clock):
    _declined_then_asked(users, hachioji_request, advisor_profile)

    page = client_for(users["advisor"]).get(f"/talent/requests/{hachioji_request.pk}/")

    assert page.status_code == 200
    body = page.content.decode()
    assert "yamada-taro-private" not in body
    assert users["hachioji"].username not in body  # the officers' accounts neither
    assert "アドバイザー（画面からの入力）: 依頼中 → 辞退" in body  # the step itself is still there, by role


def test_the_requesting_municipality_still_sees_who_took_each_step(users, client_for, hachioji_request,
                                                                   advisor_profile, rounds, clock):
    _declined_then_asked(users, hachioji_request, advisor_profile)

    body = client_for(users["hachioji"]).get(f"/talent/requests/{hachioji_request.pk}/").content.decode()

    assert "yamada-taro-private（画面からの入力）: 依頼中 → 辞退" in body


def test_a_step_of_a_deleted_account_is_not_shown_as_the_systems(users, client_for, hachioji_request,
                                                                 advisor_profile, rounds, clock):
    _declined_then_asked(users, hachioji_request, advisor_profile)
    User.objects.filter(username="yamada-taro-private").delete()

    body = client_for(users["advisor"]).get(f"/talent/requests/{hachioji_request.pk}/").content.decode()

    assert "削除されたアカウント（画面からの入力）: 依頼中 → 辞退" in body
    assert "システム（画面からの入力）: 依頼中 → 辞退" not in body
