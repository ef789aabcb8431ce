"""「この検索条件を保存する」 refused: the search page comes back (422) with the same query and results, the typed name
still in the box, the Japanese reason beside the field that needs it, and nothing written. It used to answer with a
message and a redirect, and the typed name was lost."""

import re
from html.parser import HTMLParser

import pytest

from chiiki.core.models import ChangeRecord
from chiiki.programs.models import SavedSearch

pytestmark = pytest.mark.django_db

QUERY = "q=%E5%B0%82%E9%96%80%E5%AE%B6&sort=deadline"  # 専門家, the nearest deadline first


class Page(HTMLParser):
    """The parts of the search page a refused save must keep: the result names, the save form and its messages."""

    def __init__(self, html: str):
        super().__init__()
        self.names: list[str] = []
        self.inputs: dict[str, dict] = {}
        self.errors: dict[str, str] = {}
        self.save_open = None
        self.hrefs: list[str] = []
        self._text = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "a":
            self.hrefs.append(a.get("href", ""))
            if "program-card__name" in a.get("class", ""):
                self._text = ("name", [])
        elif tag == "input" and a.get("id"):
            self.inputs[a["id"]] = a
        elif tag == "details" and "programs-save" in a.get("class", ""):
            self.save_open = "open" in a
        elif tag == "ul" and a.get("id", "").endswith("_error"):
            self._text = (a["id"].removesuffix("_error"), [])

    def handle_endtag(self, tag):
        if self._text and tag in ("a", "ul"):
            kind, parts = self._text
            if kind == "name":
                self.names.append("".join(parts).strip())
            else:
                self.errors[kind] = "".join(parts).strip()
            self._text = None

    def handle_data(self, data):
        if self._text:
            self._text[1].append(data)


def _nothing_written():
    return (
        not SavedSearch.objects.exists()
        and not ChangeRecord.objects.filter(model="programs.savedsearch").exists()
    )


def test_an_overlong_name_shows_the_same_search_again_with_the_typed_name_and_the_reason(
    client_for, catalog, users
):
    client = client_for(users["hachioji"])
    shown = Page(client.get(f"/programs/?{QUERY}").content.decode())
    assert shown.names and shown.save_open is False
    params = shown.inputs["id_params"]["value"]
    typed = "専門家を呼べる支援" * 12  # 108 characters: the name holds 100
    response = client.post("/programs/saved/new", {"name": typed, "params": params})
    assert response.status_code == 422
    page = Page(response.content.decode())
    assert page.names == shown.names  # the same results, in the same order
    assert page.inputs["q"]["value"] == "専門家" and page.inputs["id_params"]["value"] == params
    assert page.inputs["id_name"]["value"] == typed and page.inputs["id_name"]["aria-invalid"] == "true"
    assert "100 文字" in page.errors["id_name"] and page.save_open is True
    # The page is shown at the form's address: its links must still lead to the search page, not to this one.
    assert not [h for h in page.hrefs if h.startswith("?")]
    assert f'href="/programs/?{QUERY.replace("&", "&amp;")}&amp;format=csv"' in response.content.decode()
    assert _nothing_written()


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("防災\x1b", "制御文字（U+001B"),
        ("防災\x00", "名前に制御文字（U+0000 NUL"),
    ],
)
def test_a_control_character_in_the_name_is_refused_beside_the_field(
    client_for, catalog, users, typed, reason
):
    response = client_for(users["hachioji"]).post("/programs/saved/new", {"name": typed, "params": QUERY})
    assert response.status_code == 422
    page = Page(response.content.decode())
    assert reason in page.errors["id_name"], page.errors
    assert page.inputs["q"]["value"] == "専門家" and page.names
    assert _nothing_written()


def test_alerts_without_an_email_address_keep_the_name_and_the_ticked_box(client_for, catalog, users):
    response = client_for(users["hachioji"]).post(
        "/programs/saved/new", {"name": "専門家の派遣", "params": QUERY, "alerts": "on"}
    )
    assert response.status_code == 422
    page = Page(response.content.decode())
    assert page.inputs["id_name"]["value"] == "専門家の派遣"
    assert "checked" in page.inputs["id_alerts"] and page.inputs["id_alerts"]["aria-invalid"] == "true"
    assert page.errors["id_alerts"].startswith(
        "メール通知を受け取るには、マイページでメールアドレスを登録してください"
    )
    assert _nothing_written()


def test_a_refusal_on_a_later_page_shows_that_page_again(client_for, catalog, users):
    client = client_for(users["hachioji"])
    shown = client.get("/programs/?sort=deadline&page_size=5&page=2").content.decode()
    assert 'name="page" value="2"' in shown
    page = Page(shown)
    response = client.post(
        "/programs/saved/new", {"name": "名" * 101, "params": page.inputs["id_params"]["value"], "page": "2"}
    )
    assert response.status_code == 422
    assert Page(response.content.decode()).names == page.names
    assert re.search(r'aria-current="page">2 / \d+ページ', response.content.decode())
    assert _nothing_written()


def test_a_saved_search_still_goes_to_the_list(client_for, catalog, users):
    response = client_for(users["hachioji"]).post(
        "/programs/saved/new", {"name": "専門家の派遣", "params": QUERY}
    )
    assert response.status_code == 302 and response["Location"] == "/programs/saved/"
    assert SavedSearch.objects.get().name == "専門家の派遣"


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ("q=防災\x00", "検索条件に制御文字（U+0000 NUL）"),
        ("q=防災\x07", "制御文字（U+0007"),
        ("q=" + "防" * 1000, "この値は 1000 文字以下でなければなりません"),
    ],
)
def test_conditions_that_cannot_be_stored_are_named_in_the_summary(
    client_for, catalog, users, params, reason
):
    """The conditions ride in a hidden field: the refusal is said in the form's summary, the name stays."""
    response = client_for(users["hachioji"]).post("/programs/saved/new", {"name": "防災", "params": params})
    assert response.status_code == 422
    html = response.content.decode()
    summary = html.split("data-error-summary>", 1)[1].split("</div>", 1)[0]
    assert reason in summary
    assert Page(html).inputs["id_name"]["value"] == "防災"
    assert _nothing_written()
