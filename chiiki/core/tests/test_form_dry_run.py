"""ActionForm's one-pass refusal: only a NUL makes the form ask the action about the other fields (in a rolled-back
run), and an action that cannot cope with the emptied field never turns the refusal into a 500."""

import pytest
from django import forms
from django.http import QueryDict

from chiiki.core.errors import Invalid
from chiiki.core.forms import ActionForm

pytestmark = pytest.mark.django_db


class NoteForm(ActionForm):
    title = forms.CharField(max_length=20)
    body = forms.CharField(required=False)


def test_a_form_refused_without_nul_does_not_run_the_action():
    calls = []
    form = NoteForm({"title": "", "body": "本文"})
    assert form.submit(lambda values: calls.append(values)) is None
    assert calls == [] and "title" in form.errors


def posted(**values):
    data = QueryDict(mutable=True)
    for name, value in values.items():
        data.appendlist(name, value)
    return data


@pytest.mark.parametrize("as_posted", [False, True])  # a plain dict (the API's way) and a request's QueryDict
def test_with_nul_the_actions_other_problems_come_in_the_same_answer(as_posted):
    def save(values):
        raise Invalid([("title", "件名が長すぎます"), ("body", "本文は必須です")])

    data = {"title": "件名", "body": "本\x00文"}
    form = NoteForm(posted(**data) if as_posted else data)
    assert form.submit(save) is None
    assert "件名が長すぎます" in form.errors["title"]
    assert form.errors["body"] and "本文は必須です" not in form.errors["body"]  # its own refusal (NUL) comes first


def test_an_action_that_breaks_on_the_emptied_field_leaves_the_nul_refusal_alone():
    def save(values):
        return values["body"][0]  # the emptied field is "": IndexError in the dry run

    form = NoteForm({"title": "件名", "body": "本\x00文"})
    assert form.submit(save) is None
    assert list(form.errors) == ["body"]
