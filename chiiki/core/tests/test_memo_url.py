"""`{% url %}` remembered per process (chiiki/core/templatetags/memo_url.py, ADR 0022): every template gets it,
and it answers exactly what Django's own tag answers, including after the script prefix or URLconf changes."""

import pytest
from django.http import HttpResponse
from django.template import Context, Engine, engines
from django.test import RequestFactory, override_settings
from django.urls import NoReverseMatch, include, path, set_script_prefix

from chiiki.core.templatetags import memo_url


def _view(request, **kwargs):
    return HttpResponse("")


app_patterns = ([path("plain/", _view, name="plain"),
                 path("item/<str:code>/", _view, name="item"),
                 path("pair/<int:year>/<slug:part>/", _view, name="pair")], "memo")
urlpatterns = [path("a/", include(app_patterns))]
other_urlpatterns = [path("b/", include(app_patterns))]


class _OtherURLconf:
    urlpatterns = other_urlpatterns


class _Thing:
    """An argument the memo does not key on: its str() is what reverse() uses."""

    def __init__(self, code):
        self.code = code

    def __str__(self):
        return self.code


TEMPLATES = [
    '{% url "memo:plain" %}',
    '{% url "memo:item" "x&y" %}',
    '{% url "memo:item" code %}',
    '{% url "memo:item" code=code %}',
    '{% url "memo:pair" 2026 "sub-part" %}',
    '{% url "memo:pair" year=year part="p" %}',
    '{% url "memo:item" thing %}',
    '{% url "memo:item" code as link %}[{{ link }}]',
    '{% url "memo:missing" as link %}[{{ link }}]',
    '{% autoescape off %}{% url "memo:item" "x&y" %}{% endautoescape %}',
]
CONTEXTS = [{"code": "131016", "year": 2027, "thing": _Thing("obj-1")},
            {"code": "a b&c", "year": 2016, "thing": _Thing("obj-2")}]


def _render(engine: Engine, source: str, context: dict) -> str:
    return engine.from_string(source).render(Context(context))


@pytest.fixture(autouse=True)
def _fresh_memo():
    memo_url._reverse.cache_clear()
    yield
    memo_url._reverse.cache_clear()
    set_script_prefix("/")


def test_every_project_template_gets_the_remembering_tag():
    node = engines["django"].from_string('{% url "progress:records" %}').template.nodelist[0]
    assert isinstance(node, memo_url.MemoURLNode)
    assert engines["django"].from_string('{% url "progress:records" %}').render() == "/progress/records/"


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize("source", TEMPLATES)
def test_the_answer_is_djangos_answer_the_first_time_and_from_memory(source):
    django_tag = Engine()
    remembering = Engine(builtins=["chiiki.core.templatetags.memo_url"])
    for context in CONTEXTS:
        expected = _render(django_tag, source, context)
        assert _render(remembering, source, context) == expected  # computed
        assert _render(remembering, source, context) == expected  # remembered


@override_settings(ROOT_URLCONF=__name__)
def test_plain_arguments_are_remembered_and_others_are_not():
    remembering = Engine(builtins=["chiiki.core.templatetags.memo_url"])
    for _ in range(3):
        _render(remembering, '{% url "memo:item" code %}', CONTEXTS[0])
    assert memo_url._reverse.cache_info().hits == 2
    before = memo_url._reverse.cache_info()
    _render(remembering, '{% url "memo:item" thing %}', CONTEXTS[0])
    _render(remembering, '{% url "memo:item" flag %}', {"flag": True})  # True is not the int 1
    assert memo_url._reverse.cache_info() == before


@override_settings(ROOT_URLCONF=__name__)
def test_a_missing_name_still_raises():
    remembering = Engine(builtins=["chiiki.core.templatetags.memo_url"])
    with pytest.raises(NoReverseMatch):
        _render(remembering, '{% url "memo:missing" %}', {})
    with pytest.raises(NoReverseMatch):
        _render(remembering, '{% url "memo:pair" "not-a-year" "p" %}', {})


@override_settings(ROOT_URLCONF=__name__)
def test_the_script_prefix_is_part_of_the_answer():
    remembering = Engine(builtins=["chiiki.core.templatetags.memo_url"])
    assert _render(remembering, '{% url "memo:plain" %}', {}) == "/a/plain/"
    set_script_prefix("/chiiki/")
    assert _render(remembering, '{% url "memo:plain" %}', {}) == "/chiiki/a/plain/"
    set_script_prefix("/")
    assert _render(remembering, '{% url "memo:plain" %}', {}) == "/a/plain/"


def test_a_changed_urlconf_changes_the_answer():
    remembering = Engine(builtins=["chiiki.core.templatetags.memo_url"])
    with override_settings(ROOT_URLCONF=__name__):
        assert _render(remembering, '{% url "memo:plain" %}', {}) == "/a/plain/"
    with override_settings(ROOT_URLCONF=_OtherURLconf):
        assert _render(remembering, '{% url "memo:plain" %}', {}) == "/b/plain/"


@override_settings(ROOT_URLCONF=__name__)
def test_the_current_app_of_the_request_is_part_of_the_key():
    remembering = Engine(builtins=["chiiki.core.templatetags.memo_url"])
    request = RequestFactory().get("/")
    request.current_app = "memo"
    context = Context({})
    context.request = request
    assert remembering.from_string('{% url "memo:plain" %}').render(context) == "/a/plain/"
    assert memo_url._reverse.cache_info().currsize == 1
    _render(remembering, '{% url "memo:plain" %}', {})  # no request: another key, same answer
    assert memo_url._reverse.cache_info().currsize == 2


def test_the_memory_is_bounded():
    assert memo_url._reverse.cache_info().maxsize == memo_url.MEMO_SIZE <= 4096
