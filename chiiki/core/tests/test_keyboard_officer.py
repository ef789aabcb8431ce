"""A municipal officer's main flows with the keyboard only (Tab, Shift+Tab, Enter, Space, arrow keys): sign in,
write a 派遣依頼 choosing a 「できること」 from the suggestions, create an implementation plan, edit a 地域再生計画
project, create a dataset and save a progress value. Every element focused on the way shows a focus ring, and a form
sent back with errors puts focus on the field to correct."""

import pytest

from chiiki.conftest import PASSWORD
from chiiki.core.fiscal import current_fiscal_year
from chiiki.funding.models import ImplementationPlan, RevitalisationProject
from chiiki.funding.tests import tour as funding_tour
from chiiki.opendata.models import Dataset
from chiiki.progress.models import ProgressRecord
from chiiki.talent.models import TalentRequest
from chiiki.talent.tests import tour as talent_tour
from chiiki.testing import collect_errors

from .keyboard import activate, active_is, arrow_to, assert_focus_visible, menu, retype, sign_in, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def officer(users, settings, tmp_path):
    settings.OPENDATA_FILES_DIR = tmp_path / "opendata"
    talent_tour.seed(users)  # the 「できること」 vocabulary
    return users["hachioji"], funding_tour.seed()


def _unexpected(errors: list[str]) -> list[str]:
    """Page errors other than the 400/422 answers of the forms sent back with errors on purpose."""
    return [e for e in errors if not e.startswith("Failed to load resource: the server responded with a status of 4")
            or "(Bad Request)" not in e and "(Unprocessable Entity)" not in e]


def test_request_and_plan_with_the_keyboard(officer, page, screenshot):
    user, _ids = officer
    errors = collect_errors(page)
    sign_in(page, user.username, PASSWORD)

    # 人材 → 派遣依頼を書く → 「○○ができる人」 → a suggested 「できること」 is pressed with Space
    activate(page, 'nav.site-nav a[href="/talent/"]', "**/talent/")
    activate(page, 'main a[href="/talent/requests/new"]', "**/talent/requests/new")
    tab_to(page, "#id_wish_search")
    page.keyboard.type("見守りセンサー")
    with page.expect_navigation():  # the whole form is sent (kept as typed), not saved
        page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement.id === 'suggestions'")  # the page opens on the suggestions
    assert_focus_visible(page)
    page.keyboard.press("Tab")
    assert active_is(page, "[data-capability]")
    assert_focus_visible(page)
    first = page.evaluate("document.activeElement.dataset.capability")
    page.keyboard.press("Space")
    assert page.get_attribute(f'[data-capability="{first}"]', "aria-pressed") == "true"
    ticked = "[...document.querySelectorAll('input[name=required]:checked')].map(o => o.value)"
    assert page.evaluate(ticked) == [first]
    assert "必須に加えました" in page.locator("#site-status").inner_text()
    screenshot(page, "keyboard-talent-suggestion")
    assert page.evaluate(f"document.querySelector('input[name=required][value=\"{first}\"]').closest('details').open")
    # in the list itself (a checkbox each, no Ctrl needed, folded by sector): Enter opens 教育, Tab and Space tick one
    second = 'input[name=required][value="CAP-EDU-01"]'
    tab_to(page, f"#id_required details:has({second}) > summary")
    page.keyboard.press("Enter")
    tab_to(page, second)
    page.keyboard.press("Space")
    chosen = page.evaluate(ticked)
    assert sorted(chosen) == sorted({first, "CAP-EDU-01"}) and len(chosen) == 2
    assert page.get_attribute(f'[data-capability="{first}"]', "aria-pressed") == "true"

    # 保存 without 分野 and 目指す姿: focus lands on the first field to correct, the chosen 「できること」 is kept
    tab_to(page, "#request-form > button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    page.wait_for_function("document.activeElement.getAttribute('aria-invalid') === 'true'")
    invalid = page.evaluate("Array.from(document.querySelectorAll('#request-form [aria-invalid=true]')).map(e => e.id)")
    assert invalid == ["id_sector", "id_vision"] and active_is(page, "#id_sector")
    assert_focus_visible(page)
    screenshot(page, "keyboard-talent-error-focus")
    arrow_to(page, "health")
    tab_to(page, "#id_vision")
    page.keyboard.type("独居高齢者が安心して暮らせる町にする")
    activate(page, "#request-form > button[type=submit]", "**/talent/requests/*/")
    created = TalentRequest.objects.get(municipality=user.municipality, title="見守りセンサー")
    assert sorted(created.required.values_list("pk", flat=True)) == sorted(chosen) and created.sector_id == "health"

    # 実装計画を作成: first without a title (focus on it), then complete
    menu(page, "/funding/plans/")
    activate(page, 'main a[href="/funding/plans/new"]', "**/funding/plans/new")
    tab_to(page, "#id_owner")
    arrow_to(page, "m:132012")
    tab_to(page, "#id_sector")
    arrow_to(page, "disaster")
    tab_to(page, "#id_start_year")
    page.keyboard.type(str(current_fiscal_year()))
    tab_to(page, "form.plan-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement.id === 'id_title'")
    assert_focus_visible(page)
    page.keyboard.type("八王子市 見守りIoT実装計画")
    activate(page, "form.plan-form button[type=submit]", "**/funding/plans/*/")
    plan = ImplementationPlan.objects.get(title="八王子市 見守りIoT実装計画")
    assert plan.municipality_id == "132012" and plan.sector_id == "disaster"

    # The plan editor (htmx swaps the whole editor): a refused amount sent with 追加する puts focus on the error
    # message; a saved line sent with Enter in its field leaves focus on its year's 「財源を追加」 (now folded).
    # Never on <body>.
    year = plan.years.order_by("fiscal_year").first()
    add = f'form[hx-post$="/years/{year.pk}/lines/add"]'
    tab_to(page, f"#id_newline{year.pk}-amount")
    page.keyboard.type("たくさん")
    tab_to(page, f"{add} button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement.matches('#plan-editor .message--error[role=alert]')")
    assert_focus_visible(page)
    screenshot(page, "keyboard-plan-editor-error")
    tab_to(page, f"#id_newline{year.pk}-amount")
    page.keyboard.type("1000000")
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.activeElement.matches('#year-{year.pk} details.add-line summary')")
    assert_focus_visible(page)
    assert "財源" in page.locator("#plan-editor .message--success").inner_text()
    line = year.lines.get()
    assert line.amount == 1_000_000

    # 削除 asks first, naming what goes; cancelling keeps the line, confirming deletes it.
    questions = []

    def answer(accept):
        def handle(dialog):
            questions.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()
        return handle

    delete = f'#line-{line.pk} button[name=delete]'
    page.once("dialog", answer(False))
    tab_to(page, delete)
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)  # nothing is sent: give a request the time it would need to show
    assert questions == [f"{year.fiscal_year}年度の財源「一般財源」を削除しますか？"]
    assert year.lines.filter(pk=line.pk).exists()
    page.once("dialog", answer(True))
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('#plan-editor .message--success')"
                           " && document.querySelector('#plan-editor .message--success').textContent.includes('削除')")
    assert not year.lines.filter(pk=line.pk).exists() and len(questions) == 2
    assert _unexpected(errors) == []


def test_project_dataset_and_progress_with_the_keyboard(officer, page, screenshot):
    user, ids = officer
    errors = collect_errors(page)
    sign_in(page, user.username, PASSWORD)

    # 地域再生計画の事業を編集: a wrong amount puts focus on that field; then saved
    page.goto(f"/funding/projects/{ids['project']}/edit")
    tab_to(page, "#p-target")
    retype(page, "たくさん")
    page.keyboard.press("Enter")  # Enter in a text field sends the form
    page.wait_for_function("document.activeElement.id === 'p-target'")
    assert page.get_attribute("#p-target", "aria-invalid") == "true"
    assert_focus_visible(page)
    screenshot(page, "keyboard-project-edit-error")
    retype(page, "12000000")
    tab_to(page, "#p-description")
    page.keyboard.type("センサーを市内全域に")
    activate(page, "main form button[type=submit]:not([name=delete])", f"**/funding/projects/{ids['project']}/")
    project = RevitalisationProject.objects.get(pk=ids["project"])
    assert project.target_amount == 12_000_000 and project.description == "センサーを市内全域に"

    # データセットを作成 (checkbox with Space, radio with the arrow keys)
    page.goto("/opendata/manage/new")
    tab_to(page, "#id_name")
    page.keyboard.type("hachioji-mimamori")
    tab_to(page, "#id_title")
    page.keyboard.type("八王子市 見守りセンサー設置場所")
    tab_to(page, 'input[name=sectors][value="health"]')
    page.keyboard.press("Space")
    tab_to(page, "input[name=visibility]")
    arrow_to(page, "internal")
    screenshot(page, "keyboard-opendata-new")
    activate(page, "main form.program-form button[type=submit]", "**/opendata/dataset/hachioji-mimamori/**")
    dataset = Dataset.objects.get(name="hachioji-mimamori")
    assert dataset.title == "八王子市 見守りセンサー設置場所" and dataset.visibility == "internal"
    assert dataset.sectors == ["health"]

    # 進捗の入力: a refused URL puts focus on it after the htmx swap; corrected, focus returns to 保存
    page.goto(f"/progress/entry/132012/?fiscal_year={current_fiscal_year()}")
    page.wait_for_selector("#entry-save-all:not([hidden])")
    tab_to(page, "#stage-disaster")
    arrow_to(page, "planned")
    tab_to(page, '#entry-disaster input[name=evidence_url]')
    page.keyboard.type("ftp://example.jp/bousai")  # a URL to the browser, refused by the server (http/https only)
    tab_to(page, "#entry-disaster button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement.name === 'evidence_url'"
                           " && document.activeElement.getAttribute('aria-invalid') === 'true'")
    assert_focus_visible(page)
    screenshot(page, "keyboard-progress-error-focus")
    # The refused row is not saved: it still counts for 「変更した行をまとめて保存」 (and for leaving the page).
    assert page.locator("#entry-save-all").inner_text() == "変更した1行をまとめて保存"
    assert page.locator("#entry-save-all").is_enabled()
    retype(page, "https://example.jp/bousai")
    tab_to(page, "#entry-disaster button[type=submit]")
    page.keyboard.press("Enter")
    page.locator("#entry-disaster .progress-entry__ok").wait_for()
    assert active_is(page, "#entry-disaster button[type=submit]")
    record = ProgressRecord.objects.get(municipality_id="132012", sector_id="disaster",
                                        fiscal_year=current_fiscal_year())
    assert (record.stage, record.evidence_url) == ("planned", "https://example.jp/bousai")
    assert _unexpected(errors) == []
