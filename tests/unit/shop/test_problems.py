from fabrika.shop.locale import messages_for
from fabrika.shop.problems import breakdown_label, problem_keys, problem_text, reason_text

RU = messages_for("ru")
EN = messages_for("en")


def test_a_problem_is_known_by_its_code_before_its_type() -> None:
    problem = {"type": "https://fabrika.dev/problems/model-truncated", "code": "truncated"}
    assert problem_keys(problem) == ["truncated", "model-truncated"]


def test_a_known_code_is_told_in_the_pages_language() -> None:
    problem = {"type": "x", "code": "truncated", "detail": "The file looks truncated."}
    assert problem_text(problem, RU) == RU("problems.truncated")
    assert "обрезан" in problem_text(problem, RU)


def test_a_known_type_is_told_when_the_code_is_unknown() -> None:
    problem = {"type": "https://fabrika.dev/problems/validation-error", "code": "new_code"}
    assert problem_text(problem, RU) == RU("problems.validation-error")


def test_an_unknown_problem_falls_back_to_the_servers_detail() -> None:
    problem = {"type": "about:blank", "detail": "Something new went wrong."}
    assert problem_text(problem, RU) == "Something new went wrong."


def test_a_problem_without_words_gets_the_general_message() -> None:
    assert problem_text({}, EN) == EN("problems.unknown")


def test_parameters_fill_the_message() -> None:
    assert "100 MB" in problem_text({"code": "too_large"}, EN, max_mb=100)


def test_a_cancellation_reason_is_told_by_its_code() -> None:
    english = "The price was not confirmed before the confirmation deadline."
    assert reason_text("confirmation_timeout", english, RU) == RU("problems.confirmation_timeout")
    assert reason_text(None, english, RU) == english


def test_breakdown_lines_are_named_by_their_kind() -> None:
    assert breakdown_label("Material: 40.2 g of PLA per part × 3", RU) == "Материал"
    assert breakdown_label("Quantity discount: 5% from 10 parts", RU) == "Скидка за количество"
    assert breakdown_label("Shipping: 2 parcels", RU) == "Shipping: 2 parcels"
