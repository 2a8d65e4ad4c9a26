"""Rules on what the X12 envelope and segments can carry (ENV): phone numbers, and text
that would break the file because it holds a separator or a control character."""

from __future__ import annotations

import datetime as dt
import enum
import operator
import re
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from gateway.domain.claim import Claim, Contact
from gateway.domain.findings import Finding
from gateway.domain.rules_core import Context, rule

# ------------------------------------------------------------------------- phones

_PHONE_SEPARATORS = re.compile(r"[ \-.()]")
# NANP: 10 digits; area code and exchange each start with 2-9.
_PHONE = re.compile(r"[2-9][0-9]{2}[2-9][0-9]{6}")


def _contacts(claim: Claim) -> Iterator[tuple[str, str, Contact]]:
    if claim.submitter is not None and claim.submitter.contact is not None:
        yield "submitter.contact", "Submitter", claim.submitter.contact
    if claim.receiver is not None and claim.receiver.contact is not None:
        yield "receiver.contact", "Receiver", claim.receiver.contact
    if claim.billing_provider.contact is not None:
        yield "billing_provider.contact", "Billing provider", claim.billing_provider.contact


@rule("ENV-006", "Contact phone numbers are 10 digits with an area code and exchange that "
                 "do not start with 0 or 1")
def phone_numbers(claim: Claim, ctx: Context) -> Iterator[Finding]:
    for path, label, contact in _contacts(claim):
        if contact.phone is not None and not _PHONE.fullmatch(
                _PHONE_SEPARATORS.sub("", contact.phone)):
            yield Finding("ENV-006", f"{path}.phone",
                          f"{label} contact phone must be a 10-digit US number (area code and "
                          "exchange not starting with 0 or 1), without country code or "
                          "extension.")


# ---------------------------------------------------------------- separators in text

# The X12 separators we use or that partners commonly use (element *, segment ~,
# component : or >, repetition ^, and |), C0 and C1 control characters (newlines
# included), DEL, and the Unicode line and paragraph separators.
_X12_UNSAFE = re.compile(r"[*~:^|>\x00-\x1f\x7f-\x9f\u2028\u2029]")
_UNSAFE_MESSAGE = ("Field contains a character that X12 reserves as a separator "
                   "(* ~ : ^ | >) or a control character or line break; remove it.")

# How the scan treats a model field, decided once per model class from its annotation.
_TEXT, _TEXTS, _MODEL, _MODELS, _ANY, _SKIP = "text", "texts", "model", "models", "any", "skip"
_SCALARS = (bool, int, float, Decimal, dt.date, dt.time, dt.timedelta, enum.Enum)


def _kind(annotation: object) -> str:
    """What a field annotation holds: text, a model, a list of either, scalars that
    cannot hold text (``_SKIP``: numbers, dates, enums), or anything else (``_ANY``),
    which the scan then inspects value by value."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _kind(args[0])
    if origin is typing.Union or origin is types.UnionType:
        kinds = {_kind(arg) for arg in args if arg is not type(None)} - {_SKIP}
        return kinds.pop() if len(kinds) == 1 else (_ANY if kinds else _SKIP)
    if origin in (list, tuple, set, frozenset):
        items = {_kind(arg) for arg in args if arg is not Ellipsis}
        item = items.pop() if len(items) == 1 else _ANY
        return {_SKIP: _SKIP, _TEXT: _TEXTS, _MODEL: _MODELS}.get(item, _ANY)
    if isinstance(annotation, type) and origin is None:
        if issubclass(annotation, _SCALARS):  # before str: a StrEnum is both
            return _SKIP
        if issubclass(annotation, str):
            return _TEXT
        if issubclass(annotation, BaseModel):
            return _MODEL
    return _ANY


@dataclass(frozen=True, slots=True)
class _Plan:
    """How to scan one model class: its text fields (with a getter returning all their
    values at once), list-of-text fields, model fields, list-of-model fields, and the
    fields whose values must be inspected one by one."""

    texts: tuple[str, ...]
    get_texts: Callable[[dict[str, Any]], tuple[Any, ...]]
    text_lists: tuple[str, ...]
    models: tuple[str, ...]
    model_lists: tuple[str, ...]
    others: tuple[str, ...]


_PLANS: dict[type[BaseModel], _Plan] = {}


def _getter(names: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    if len(names) > 1:
        return operator.itemgetter(*names)
    return lambda values: tuple(values[name] for name in names)


def _plan(cls: type[BaseModel]) -> _Plan:
    plan = _PLANS.get(cls)
    if plan is None:
        by_kind: dict[str, list[str]] = {
            kind: [] for kind in (_TEXT, _TEXTS, _MODEL, _MODELS, _ANY, _SKIP)}
        for name, field in cls.model_fields.items():
            by_kind[_kind(field.annotation)].append(name)
        texts = tuple(by_kind[_TEXT])
        plan = _PLANS[cls] = _Plan(texts, _getter(texts), tuple(by_kind[_TEXTS]),
                                   tuple(by_kind[_MODEL]), tuple(by_kind[_MODELS]),
                                   tuple(by_kind[_ANY]))
    return plan


def _scan_model(model: BaseModel, prefix: str, out: list[Finding]) -> None:
    plan = _PLANS.get(type(model)) or _plan(type(model))
    values = model.__dict__
    # One search over all the text at a level (unsafe characters are single characters,
    # so joining cannot create a match); field by field only when it finds something.
    texts = plan.get_texts(values)
    if _X12_UNSAFE.search("".join(filter(None, texts))):
        for name, text in zip(plan.texts, texts, strict=True):
            if text and _X12_UNSAFE.search(text):
                out.append(Finding("ENV-010", prefix + name, _UNSAFE_MESSAGE))
    for name in plan.text_lists:
        items = values[name]
        if items and _X12_UNSAFE.search("".join(filter(None, items))):
            _scan_value(items, prefix + name, out)
    for name in plan.models:
        child = values[name]
        if child is not None:
            _scan_model(child, f"{prefix}{name}.", out)
    for name in plan.model_lists:
        for index, child in enumerate(values[name] or ()):
            _scan_model(child, f"{prefix}{name}[{index}].", out)
    for name in plan.others:
        _scan_value(values[name], prefix + name, out)


def _scan_value(value: object, path: str, out: list[Finding]) -> None:
    """The slow, general walk: any value, any nesting of lists and models."""
    if isinstance(value, str):
        if _X12_UNSAFE.search(value):
            out.append(Finding("ENV-010", path, _UNSAFE_MESSAGE))
    elif isinstance(value, BaseModel):
        _scan_model(value, path + ".", out)
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            _scan_value(item, f"{path}[{index}]", out)
    elif isinstance(value, dict):
        for key, item in value.items():
            _scan_value(item, f"{path}.{key}", out)


@rule("ENV-010", "No text field contains an X12 separator (* ~ : ^ | >) or a control "
                 "character")
def x12_unsafe_characters(claim: Claim, ctx: Context) -> Iterator[Finding]:
    found: list[Finding] = []
    _scan_model(claim, "", found)
    return iter(found)
