"""Public fragments (chiiki/core/templatetags/public_fragment.py, ADR 0024): the tables of a dashboard rendered once
per data state and shared by every visitor, signed in or not; the user's own controls stay per request."""

import re

import pytest
from django.core.cache import cache
from django.template import Context, Template
from django.test import RequestFactory

from chiiki.core.templatetags.public_fragment import (
    KEY_PREFIX,
    CSRFTokenInPublicFragment,
    RequestInPublicFragment,
)
from chiiki.pdca import queries as pdca_queries
from chiiki.progress import actions as progress_actions
from chiiki.progress import queries as progress_queries
from chiiki.roadmap.models import Sector

pytestmark = pytest.mark.django_db

OVERVIEW = "/progress/?fiscal_year=2026"
MUNICIPALITY = "/progress/municipalities/132012/?fiscal_year=2026"


def _section(html: str, start: str, end: str) -> str:
    return html[html.index(start):html.index(end)]


def _achieved(html: str) -> int:
    return int(re.search(r'data-testid="kpi-achieved">([\d,]+)<', html).group(1).replace(",", ""))


@pytest.fixture
def counted(monkeypatch):
    """How many times the overview's KPI panel and a municipality's rows were computed."""
    calls = {"kpis": 0, "history": 0}
    kpis, history = pdca_queries.overview_kpis, progress_queries.municipality_history

    def count(name, real):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(pdca_queries, "overview_kpis", count("kpis", kpis))
    monkeypatch.setattr(progress_queries, "municipality_history", count("history", history))
    return calls


def test_signed_in_pages_share_the_public_tables_and_see_a_write_at_once(users, client_for, counted):
    officer, other = client_for(users["hachioji"]), client_for(users["sapporo"])
    first = officer.get(OVERVIEW).content.decode()
    assert counted["kpis"] == 1
    again = other.get(OVERVIEW + "&v=1").content.decode()  # another officer, a parameter the page does not read
    assert counted["kpis"] == 1  # the stored fragment answered
    anonymous = client_for(None).get(OVERVIEW).content.decode()
    tables = ('<section aria-labelledby="kpi-heading">', "</main>")
    assert _section(first, *tables) == _section(again, *tables) == _section(anonymous, *tables)
    before = _achieved(first)
    progress_actions.save_progress(users["hachioji"], users["hachioji"].municipality, Sector.objects.get(pk="work"),
                                   2026, stage="implemented", version=0)
    after = officer.get(OVERVIEW).content.decode()
    assert counted["kpis"] == 2 and _achieved(after) == before + 1


def test_each_year_has_its_own_fragment(users, client_for):
    officer = client_for(users["hachioji"])
    assert "分野別の段階（2026年度）" in officer.get(OVERVIEW).content.decode()
    assert "分野別の段階（2025年度）" in officer.get("/progress/?fiscal_year=2025").content.decode()


def test_the_users_own_controls_stay_theirs_beside_a_stored_fragment(users, client_for, counted):
    client_for(users["sapporo"]).get(MUNICIPALITY)  # stores the fragments as another officer
    stored = counted["history"]
    own = client_for(users["hachioji"]).get(MUNICIPALITY).content.decode()
    other = client_for(users["aogashima"]).get(MUNICIPALITY).content.decode()
    assert counted["history"] == stored
    assert "この団体の進捗を入力する" in own and "変更履歴（誰がいつ）" in own
    assert "この団体の進捗を入力する" not in other and "変更履歴（誰がいつ）" not in other
    assert own.count("分野ごとの段階と履歴") == other.count("分野ごとの段階と履歴") == 1


def _render(source: str, path: str, user):
    request = RequestFactory().get(path)
    request.user = user
    context = Context({"request": request, "user": user, "csrf_token": "a-token"})
    context.request = request
    return Template("{% load public_fragment %}" + source).render(context)


def test_inside_a_fragment_everyone_is_anonymous(users):
    source = '{{ user.is_authenticated }}|{% public_fragment "who" %}{{ user.is_authenticated }}{% endpublic_fragment %}'
    assert _render(source, "/progress/", users["admin"]) == "True|False"


def test_a_csrf_token_in_a_fragment_is_an_error(users):
    source = '{% public_fragment "form" %}<form method="post">{% csrf_token %}</form>{% endpublic_fragment %}'
    with pytest.raises(CSRFTokenInPublicFragment):
        _render(source, "/progress/", users["admin"])


def test_a_fragment_cannot_read_the_request(users):
    # Pagination links built from request.GET would carry the first visitor's query string to everyone.
    source = '{% public_fragment "page" %}<a href="?{{ request.GET.urlencode }}">次へ</a>{% endpublic_fragment %}'
    with pytest.raises(RequestInPublicFragment):
        _render(source, "/progress/?fiscal_year=2026&v=1", users["admin"])


def test_a_fragment_on_a_per_user_page_is_never_stored(users, monkeypatch):
    stored = []
    real_set = cache.set
    monkeypatch.setattr(cache, "set", lambda key, *a, **k: stored.append(key) or real_set(key, *a, **k))
    source = '{% public_fragment "mine" %}x{% endpublic_fragment %}'
    assert _render(source, "/accounts/mypage/", users["hachioji"]) == "x"
    assert not [key for key in stored if key.startswith(KEY_PREFIX)]
    assert _render(source, "/progress/", users["hachioji"]) == "x"
    assert [key for key in stored if key.startswith(KEY_PREFIX)]


def test_the_rankings_table_marks_only_the_viewers_own_municipality(users, client_for):
    officer = client_for(users["hachioji"])
    own_view = officer.get("/progress/rankings/?fiscal_year=2026").content.decode()
    group = re.search(r'peer_group=([^&"]+)', own_view).group(1)  # the officer's own group, from its records link
    url = f"/progress/rankings/?fiscal_year=2026&group={group}"
    assert 'class="is-own"' in officer.get(url).content.decode()  # stored with the officer's mark
    for viewer in (users["admin"], users["sapporo"], None):
        html = client_for(viewer).get(url).content.decode()
        assert 'id="rank-132012"' in html and 'class="is-own"' not in html and "自団体</span>" not in html


def test_a_write_committed_while_a_page_renders_never_leaves_old_tables_under_the_new_state(users, client_for,
                                                                                         monkeypatch):
    """Another worker commits a save after this request read the figures and before its fragment was stored: the
    fragment must not be stored under the state after that save (it would show the old figures to everyone)."""
    from chiiki.core.models import DataVersion
    from chiiki.progress.models import ProgressCell

    progress_actions.save_progress(users["hachioji"], users["hachioji"].municipality, Sector.objects.get(pk="work"),
                                   2026, stage="implemented", version=0)
    real_summary = progress_queries.summary
    raced = []

    def summary_then_another_worker_saves(*args, **kwargs):
        result = real_summary(*args, **kwargs)
        if not raced:
            raced.append(True)
            # As another worker's committed save: the cell and the version move, this process is not told.
            ProgressCell.objects.filter(municipality_id="132012", sector_id="work").update(stage="self_sustaining")
            current = DataVersion.objects.get(name="progress").version
            DataVersion.objects.filter(name="progress").update(version=current + 1)
        return result

    monkeypatch.setattr(progress_queries, "summary", summary_then_another_worker_saves)
    officer = client_for(users["sapporo"])
    officer.get(OVERVIEW)
    assert raced
    after = client_for(users["hachioji"]).get(OVERVIEW).content.decode()
    assert 'sector=work&amp;stage=self_sustaining">1</a>' in after


def test_a_deferred_value_that_a_template_would_silence_is_an_error(users):
    from chiiki.core.fragments import DeferredValueFailed, deferred
    from chiiki.regions.models import Municipality

    request = RequestFactory().get("/progress/")
    request.user = users["admin"]
    context = Context({"request": request, "user": users["admin"], "missing": deferred(
        lambda: Municipality.objects.get(pk="999999"))})
    context.request = request
    with pytest.raises(DeferredValueFailed):
        Template('{% load public_fragment %}{% public_fragment "m" %}[{{ missing }}]{% endpublic_fragment %}'
                 ).render(context)


def test_the_context_processors_per_visitor_values_are_masked(users):
    request = RequestFactory().get("/progress/")
    request.user = users["admin"]
    context = Context({"request": request, "user": users["admin"], "MANAGES_A_PLACE": True, "messages": ["秘密"]})
    context.request = request
    html = Template('{% load public_fragment %}{{ MANAGES_A_PLACE }}|{% public_fragment "m" %}{{ MANAGES_A_PLACE }}'
                    '{% for m in messages %}{{ m }}{% endfor %}{% endpublic_fragment %}').render(context)
    assert html == "True|False"


def test_a_page_answering_a_post_reads_its_state_before_the_view(users, client_for):
    """The dashboards answer a POST with the page (and its fragments): the state the fragments are keyed on is
    read before the view reads its data, as for a GET."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(users["hachioji"])
    with CaptureQueriesContext(connection) as queries:
        assert client.post("/progress/municipalities/132012/?fiscal_year=2026").status_code == 200
    assert "core_dataversion" in queries.captured_queries[0]["sql"]
