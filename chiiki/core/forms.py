"""Pieces for forms that only carry input to an action: the action validates (one code path with the API and the
importers, one Japanese message for each problem), and the form puts its `Invalid` problems back on the fields.

Such a form must not refuse anything itself, or a bad value would get Django's wording on the web and the action's
in the API: its fields are optional to Django and its choice fields accept any value (the action says which are
allowed). What is required is still shown: `required_fields` get the HTML attribute `required`."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.validators import ProhibitNullCharactersValidator
from django.db import transaction
from django.http import Http404

from chiiki.core import editing
from chiiki.core.errors import Conflict, Invalid
from chiiki.core.text import control_character_problem, nfkc


def _storable(value) -> bool:
    # NUL is the one value the action cannot be left to check: PostgreSQL refuses it in any query (a 500), and
    # no choice has one. Django's CharField refuses it already; choice fields do not.
    return "\x00" not in str(value)


def _name_nul(form) -> None:
    # Django's Japanese catalogue words its NUL refusal as 「何か文字を入力してください。」, which sends people
    # looking for an empty field; say what is wrong, in the actions' words.
    for field in form.fields.values():
        field.validators = [
            ProhibitNullCharactersValidator(message=f"{field.label or ''}に{control_character_problem(chr(0))}")
            if isinstance(v, ProhibitNullCharactersValidator) else v for v in field.validators]


class OpenChoiceField(forms.ChoiceField):
    """A select whose value the action checks; the choices are for rendering and for labels after a conflict."""

    def valid_value(self, value):
        return _storable(value)


class OpenMultipleChoiceField(forms.MultipleChoiceField):
    """Checkboxes whose values the action checks."""

    def valid_value(self, value):
        return _storable(value)


class StorableModelChoiceField(forms.ModelChoiceField):
    """A model choice whose key may be typed (the admin's raw-id inputs): a key with NUL names no row, so it is
    refused as an invalid choice before the lookup PostgreSQL would fail on."""

    def to_python(self, value):
        if value not in self.empty_values and not _storable(value):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)

    def bound_data(self, data, initial):
        # What the refused form shows again; the raw-id widget looks the shown key up to print its label.
        data = super().bound_data(data, initial)
        return data.replace("\x00", "") if isinstance(data, str) else data


class StorableModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        for key in value:
            if not _storable(key):
                raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice",
                                            params={"value": str(key).replace("\x00", "")})
        return super()._check_values(value)


class _DryRun(Exception):
    pass


class ActionForm(forms.Form):
    required_fields: tuple[str, ...] = ()
    conflict = None  # set by editing.keep_typed after a Conflict

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _name_nul(self)
        for name in self.required_fields:
            if name in self.fields:
                self.fields[name].widget.attrs["required"] = True

    def submit(self, save, stored=None):
        """`save(cleaned values)` for a valid bound form; returns what it returned, or None when refused. Invalid goes
        on the fields; Conflict (for edits: `stored(row)` → the row's values now, with its version) keeps what was
        typed beside what the other person saved (editing.keep_typed)."""
        if not self.is_valid():
            if self._holds_nul():
                self._add_the_actions_problems(save)
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

    def _holds_nul(self) -> bool:
        lists = self.data.lists() if hasattr(self.data, "lists") else ((k, [v]) for k, v in self.data.items())
        return any("\x00" in str(value) for _name, values in lists for value in values)

    def _add_the_actions_problems(self, save) -> None:
        """A field this form refuses itself (NUL) must not hide what the action would say about the others (too
        long, required…): one pass shows every problem. The action runs on the other values, the refused fields
        left empty, and everything it wrote is rolled back."""
        data = {**self.cleaned_data, **{name: self.fields[name].to_python(None) for name in self.errors
                                         if name in self.fields}}
        try:
            with transaction.atomic():
                save(data)
                raise _DryRun
        except _DryRun:
            pass
        except Invalid as exc:
            for name, reason in exc.problems:
                if name not in self.errors or not name:  # the field's own refusal says what to fix first
                    self.add_error(name if name in self.fields else None, reason)
        except (Conflict, PermissionDenied, Http404):
            pass  # said once the refused fields are corrected, as before
        except Exception:  # noqa: BLE001 - an action not written for an emptied field: its say waits, never a 500
            pass

    def attach(self, exc: Invalid) -> None:
        for name, reason in exc.problems:
            self.add_error(name if name in self.fields else None, reason)

    @property
    def status(self) -> int:
        """The HTTP status of the page that shows this form: 409 after a conflict, 422 when refused."""
        return 409 if self.conflict else 422 if self.errors else 200


def save_or_refuse(form, save, stored=None):
    """For a plain Django form an editor posts (ActionForm has `submit`): `save()` when the form is valid.
    Returns (what save returned or None, the page's status): 200 saved, 422 refused (the action's problems go on
    the fields), 409 someone saved first: for edits, `stored(row)` → the row's values now, with its version, keeps
    what was typed beside what the other person saved (editing.keep_typed); without it, the message on the form."""
    _name_nul(form)
    if not form.is_valid():
        return None, 422
    try:
        return save(), 200
    except Invalid as exc:
        for name, reason in exc.problems:
            # A hidden field (the version) shows no errors of its own: its problem goes on top of the form.
            visible = name in form.fields and not form.fields[name].widget.is_hidden
            form.add_error(name if visible else None, reason)
        return None, 422
    except Conflict as exc:
        if stored is None:
            form.add_error(None, str(exc))
        else:
            editing.keep_typed(form, exc.current and stored(exc.current))
        return None, 409


MAX_ROW_ID = 2_147_483_647  # the largest value an integer column holds on both engines


def row_id(raw) -> int | None:
    """A row id or 年度 from a query string, a page's button or an imported cell, or None when it cannot name one.
    Range-checked here because the lookup itself raises (a 500) on a number beyond the database's integers.
    Full-width digits count (people type them, spreadsheets keep them)."""
    text = nfkc(str(raw if raw is not None else "")).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ROW_ID)):
        return None
    number = int(text)
    return number if number <= MAX_ROW_ID else None


def pk_or_404(raw) -> int:
    """A row id from a page's button or link; anything else names no row (404)."""
    from django.http import Http404

    number = row_id(raw)
    if number is None:
        raise Http404("指定された行が見つかりません")
    return number


def posted_key(raw) -> str:
    """A code or key from a posted field, for a lookup. One holding NUL names no row: PostgreSQL refuses NUL in
    any query (a 500), so the lookup must not see it."""
    text = str(raw or "")
    return "" if "\x00" in text else text
