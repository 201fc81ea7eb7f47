"""The shop pages' languages: which one a request gets, its messages, and numbers, money
and dates written the way that language writes them (Babel, from CLDR data).

Messages live in `messages/<language>.toml`, one table per page or topic; a message is
named by its dotted path (`quote.title`). Pure: no request, no I/O beyond reading the
catalogs once.
"""

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel import negotiate_locale
from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import format_currency, format_decimal, format_percent

LANGUAGES = ("en", "ru")
DEFAULT_LANGUAGE = "en"
MESSAGES_DIR = Path(__file__).parent / "messages"


def accepted_languages(header: str) -> list[str]:
    """The language tags of an Accept-Language header, most wanted first (RFC 9110 §12.5.4);
    tags with q=0 are refused, so left out."""
    weighted = []
    for position, part in enumerate(header.split(",")):
        tag, *parameters = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def choose_language(*, query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The page's language: `?lang=` first, then the one chosen before (cookie), then the
    browser's preference, then English."""
    for chosen in (query, cookie):
        if chosen in LANGUAGES:
            return chosen
    preferred = accepted_languages(accept_language or "")
    return negotiate_locale(preferred, LANGUAGES, sep="-") or DEFAULT_LANGUAGE


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = str(value)
    return flat


@dataclass(frozen=True)
class Messages:
    """One language's messages: `messages("quote.title")`, with `{name}` parameters."""

    language: str
    texts: Mapping[str, str]

    def __call__(self, key: str, **params: object) -> str:
        text = self.texts[key]
        return text.format(**params) if params else text

    def get(self, key: str) -> str | None:
        return self.texts.get(key)


@cache
def messages_for(language: str) -> Messages:
    """The message catalog of one of LANGUAGES, read once per process."""
    if language not in LANGUAGES:
        raise ValueError(f"no messages in {language!r}; the shop speaks {', '.join(LANGUAGES)}")
    path = MESSAGES_DIR / f"{language}.toml"
    return Messages(language, _flatten(tomllib.loads(path.read_text(encoding="utf-8"))))


@dataclass(frozen=True)
class Formats:
    """Numbers, money and dates as readers of `language` write them."""

    language: str

    def number(self, value: float, digits: int = 1) -> str:
        return format_decimal(round(value, digits), locale=self.language)

    def money(self, amount: float, currency: str) -> str:
        return format_currency(amount, currency, locale=self.language)

    def percent(self, fraction: float) -> str:
        return format_percent(fraction, locale=self.language)

    def date(self, value: dt.date | str) -> str:
        day = dt.date.fromisoformat(value) if isinstance(value, str) else value
        return format_date(day, "long", locale=self.language)

    def moment(self, value: dt.datetime) -> str:
        """A moment in UTC, to the minute, with the zone named."""
        utc = value.astimezone(dt.UTC)
        day = format_date(utc.date(), "medium", locale=self.language)
        time = format_time(utc, "short", tzinfo=dt.UTC, locale=self.language)
        pattern = str(get_datetime_format("medium", locale=self.language))
        return pattern.replace("{1}", day).replace("{0}", time) + " UTC"

    def size_mm(self, sizes: tuple[float, float, float] | list[float]) -> str:
        """E.g. "40 × 30 × 20" (the unit is a message)."""
        return " × ".join(self.number(size) for size in sizes)
