"""Pieces for forms that only carry input to an action: the action validates (one code path with the API and the
importers, one Japanese message for each problem), and the form puts its `Invalid` problems back on the fields.

Such a form must not refuse anything itself, or a bad value would get Django's wording on the web and the action's
in the API: its fields are optional to Django and its choice fields accept any value (the action says which are
allowed). What is required is still shown: `required_fields` get the HTML attribute `required`."""

from django import forms

from chiiki.core import editing
from chiiki.core.errors import Conflict, Invalid


class OpenChoiceField(forms.ChoiceField):
    """A select whose value the action checks; the choices are for rendering and for labels after a conflict."""

    def valid_value(self, value):
        return True


class OpenMultipleChoiceField(forms.MultipleChoiceField):
    """Checkboxes whose values the action checks."""

    def valid_value(self, value):
        return True


class ActionForm(forms.Form):
    required_fields: tuple[str, ...] = ()
    conflict = None  # set by editing.keep_typed after a Conflict

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.required_fields:
            if name in self.fields:
                self.fields[name].widget.attrs["required"] = True

    def submit(self, save, stored=None):
        """`save(cleaned values)` for a valid bound form; returns what it returned, or None when refused. Invalid goes
        on the fields; Conflict (for edits: `stored(row)` → the row's values now, with its version) keeps what was
        typed beside what the other person saved (editing.keep_typed)."""
        if not self.is_valid():
            return None
        try:
            return save(self.cleaned_data)
        except Invalid as exc:
            self.attach(exc)
        except Conflict as exc:
            if stored is None:
                raise
            editing.keep_typed(self, exc.current and stored(exc.current))
        return None

    def attach(self, exc: Invalid) -> None:
        for name, reason in exc.problems:
            self.add_error(name if name in self.fields else None, reason)

    @property
    def status(self) -> int:
        """The HTTP status of the page that shows this form: 409 after a conflict, 422 when refused."""
        return 409 if self.conflict else 422 if self.errors else 200


def posted_pk(raw) -> str:
    """A row id posted by a page's button. Anything that is not one names no row: Http404 before the lookup, which
    would otherwise raise (a 500) on "abc" or on a number too large for the database."""
    from django.http import Http404

    text = str(raw or "")
    if not text.isdigit() or len(text) > 18:
        raise Http404("指定された行が見つかりません")
    return text
