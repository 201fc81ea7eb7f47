import datetime as dt
import re
from pathlib import Path

import pytest

from fabrika.shop.locale import (
    LANGUAGES,
    Formats,
    accepted_languages,
    choose_language,
    messages_for,
)

TEMPLATES = Path(__file__).parents[3] / "src/fabrika/shop/templates"
SCRIPTS = Path(__file__).parents[3] / "web/src"


def test_accept_language_is_ordered_by_quality_then_by_position() -> None:
    header = "de;q=0.5, ru-RU, en;q=0.9, fr;q=0.9"
    assert accepted_languages(header) == ["ru-RU", "en", "fr", "de"]


def test_a_language_with_quality_zero_is_refused() -> None:
    assert accepted_languages("ru;q=0, en") == ["en"]


def test_the_query_wins_over_the_cookie_and_the_browser() -> None:
    chosen = choose_language(query="ru", cookie="en", accept_language="en-GB")
    assert chosen == "ru"


def test_a_language_chosen_before_wins_over_the_browser() -> None:
    assert choose_language(query=None, cookie="ru", accept_language="en") == "ru"


def test_the_browser_preference_is_matched_by_its_primary_language() -> None:
    assert choose_language(query=None, cookie=None, accept_language="ru-RU,ru;q=0.9") == "ru"


def test_unknown_choices_fall_through_to_english() -> None:
    assert choose_language(query="de", cookie="xx", accept_language="fr, de;q=0.8") == "en"
    assert choose_language(query=None, cookie=None, accept_language=None) == "en"


def test_every_language_has_every_message() -> None:
    keys = {
        language: {k for k in messages_for(language).texts if not k.startswith("names.")}
        for language in LANGUAGES
    }
    assert keys["en"] == keys["ru"]


def test_both_catalogs_take_the_same_parameters() -> None:
    en, ru = messages_for("en"), messages_for("ru")
    for key, text in en.texts.items():
        if key.startswith("names."):
            continue
        assert set(re.findall(r"\{(\w+)\}", text)) == set(re.findall(r"\{(\w+)\}", ru(key))), key


def test_every_message_the_templates_and_scripts_name_exists() -> None:
    named = set()
    for template in TEMPLATES.glob("*.html"):
        named |= set(re.findall(r"""\bt\(\s*["']([\w.-]+)["']""", template.read_text()))
    for script in SCRIPTS.glob("*.js"):
        named |= set(re.findall(r"""\bt\(\s*"([\w.-]+)"\s*[,)]""", script.read_text()))
    named = {key for key in named if not key.endswith(".")}  # prefixes of keys made in place
    missing = named - set(messages_for("en").texts)
    assert len(named) > 50 and not missing, missing


def test_money_is_written_as_each_language_writes_it() -> None:
    assert Formats("en").money(1234.5, "EUR") == "€1,234.50"
    assert Formats("ru").money(1234.5, "EUR") == "1\xa0234,50\xa0€"


def test_a_moment_is_shown_in_utc_to_the_minute() -> None:
    moment = dt.datetime(2026, 12, 3, 17, 5, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    assert Formats("ru").moment(moment) == "3 дек. 2026\u202fг., 14:05 UTC"
    assert Formats("en").moment(moment).startswith("Dec 3, 2026, 2:05")


def test_sizes_use_the_languages_decimal_mark() -> None:
    assert Formats("ru").size_mm([40, 30.5, 20]) == "40 × 30,5 × 20"
    assert Formats("en").size_mm([40, 30.5, 20]) == "40 × 30.5 × 20"


def test_a_language_without_messages_is_refused() -> None:
    with pytest.raises(ValueError, match="speaks en, ru"):
        messages_for("de")
