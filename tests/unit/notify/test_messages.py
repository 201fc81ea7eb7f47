import pytest

from fabrika.notify.messages import LANGUAGES, UnknownTemplate, events, localized_reason, render
from fabrika.orders.emails import EMAILED

PARAMS = {
    "name": "Anna",
    "order_ref": "1A2B3C4D",
    "status_url": "http://127.0.0.1:8080/orders/x",
    "price": "12.50",
    "currency": "EUR",
    "ready_by": "2026-12-01",
    "lines": ["2 × PLA FDM"],
    "deadline": "2026-11-25 12:00 UTC",
    "reason": "The part is too large.",
    "charged_nothing": True,
}


def test_every_status_customers_are_emailed_about_has_a_message_in_both_languages() -> None:
    emailed = {status.lower() for statuses in EMAILED.values() for status in statuses}
    assert emailed == {"registered", "quoted", "accepted", "cancelled"}
    assert emailed <= events()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("event", ["registered", "quoted", "accepted", "cancelled"])
def test_messages_render_with_the_order_reference(language: str, event: str) -> None:
    message = render(event, language, PARAMS)
    assert "1A2B3C4D" in message.subject
    assert "\n" not in message.subject


def test_a_russian_customer_gets_russian_text() -> None:
    message = render("quoted", "ru", PARAMS)
    assert "Стоимость заказа" in message.body and "12.50 EUR" in message.body


def test_the_quote_email_tells_how_to_confirm_and_by_when() -> None:
    body = render("quoted", "en", PARAMS).body
    assert f"on its page, {PARAMS['status_url']}," in body and PARAMS["deadline"] in body


def test_a_missing_parameter_is_an_error_not_a_blank() -> None:
    with pytest.raises(Exception, match="name"):
        render("registered", "en", {k: v for k, v in PARAMS.items() if k != "name"})


def test_an_unknown_event_is_refused() -> None:
    with pytest.raises(UnknownTemplate):
        render("shipped-to-mars", "en", PARAMS)


def test_a_known_reason_is_translated_and_an_unknown_one_kept() -> None:
    assert localized_reason("ru", "no_capacity", "x").startswith("Мы не успеваем")
    assert localized_reason("ru", "something_new", "Plain detail.") == "Plain detail."
    assert localized_reason("en", "no_capacity", "Plain detail.") == "Plain detail."
