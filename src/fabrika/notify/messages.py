"""Rendering customer messages from the templates file, in the customer's language."""

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jinja2 import Environment, StrictUndefined, Template

from fabrika.contracts.saga import EmailParams

TEMPLATES_PATH = Path(__file__).with_name("templates.toml")
LANGUAGES = ("en", "ru")


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


class UnknownTemplate(KeyError):
    """No message is written for this event or language."""


@cache
def _templates() -> dict[str, dict[str, dict[str, str]]]:
    return tomllib.loads(TEMPLATES_PATH.read_text(encoding="utf-8"))


@cache
def _environment() -> Environment:
    # Plain-text email: autoescape would put HTML entities into the customer's mail.
    return Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


def localized_reason(language: str, code: str | None, detail: str) -> str:
    """The customer's-language text for a cancellation reason; the English detail otherwise."""
    reasons = _templates().get(language, {}).get("reasons", {})
    return reasons.get(code or "", detail)


@cache
def _compiled(source: str) -> Template:
    """Templates compile once per process: compiling costs more than rendering."""
    return _environment().from_string(source)


def events() -> frozenset[str]:
    """The events every language has a message for."""
    per_language = [set(_templates()[language]) - {"reasons"} for language in LANGUAGES]
    return frozenset(set.intersection(*per_language))


def render(event: str, language: str, params: EmailParams) -> Message:
    """The message for `event` in `language`, falling back to English for other languages."""
    templates = _templates().get(language) or _templates()["en"]
    if event not in templates:
        raise UnknownTemplate(f"no message for event {event!r}")
    template = templates[event]
    subject = _compiled(template["subject"]).render(**params)
    body = _compiled(template["body"]).render(**params)
    return Message(subject=" ".join(subject.split()), body=body.strip() + "\n")
