"""Helpers shared by the feature forms: choices, checkbox lists, the confirm button."""

from __future__ import annotations

from collections.abc import Iterable

from flask import render_template
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget


def choices(pairs: Iterable[tuple[str, object]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


class CheckboxList(SelectMultipleField):
    """Several choices shown as checkboxes, easier than a multi-select on a phone."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ConfirmForm(FlaskForm):
    """An empty form: a button with its CSRF token (every state change is a POST)."""


def confirm_page(question: str, detail: str, button: str, back: str, danger: bool = True) -> str:
    """A page asking once more before an action that cannot be undone on one tap.

    Shown at the action's own address by GET; its button POSTs there (with CSRF), so it
    works without JavaScript. `back` is where "No, go back" leads.
    """
    return render_template(
        "confirm.html",
        question=question,
        detail=detail,
        button=button,
        back=back,
        danger=danger,
        confirm=ConfirmForm(),
    )
