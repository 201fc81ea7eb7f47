"""Problems, refusals and quote breakdowns told in the page's language.

The services explain errors in English (problem+json `detail`, an order's `reason`); each
also carries a machine key: a `code`, or the problem `type`, whose last path segment names
it (`…/problems/model-too-large`). The message catalogs' `problems` table has a message
for each key the shop knows, so the mapping is data; an unknown key falls back to the
service's own English words, which are better than none. Pure.
"""

from collections.abc import Mapping
from typing import Any

from fabrika.shop.locale import Messages

PREFIX = "problems."


def problem_keys(problem: Mapping[str, Any]) -> list[str]:
    """The keys a problem may be known by, the most specific first: its code, then its type."""
    keys = []
    if problem.get("code"):
        keys.append(str(problem["code"]))
    problem_type = str(problem.get("type") or "")
    if problem_type and problem_type != "about:blank":
        keys.append(problem_type.rstrip("/").rsplit("/", 1)[-1])
    return keys


def problem_text(problem: Mapping[str, Any], messages: Messages, **params: object) -> str:
    """What went wrong, in the messages' language when the problem is a known one."""
    for key in problem_keys(problem):
        text = messages.get(PREFIX + key)
        if text is not None:
            return text.format(**params) if params else text
    return str(problem.get("detail") or messages("problems.unknown"))


def reason_text(code: str | None, reason: str | None, messages: Messages) -> str:
    """Why an order was cancelled, from its `reason_code` and the English `reason`."""
    return problem_text({"code": code, "detail": reason}, messages)


def breakdown_label(label: str, messages: Messages) -> str:
    """A quote's breakdown line named in the messages' language by its kind: the English
    label's head ("Material: 40.2 g of PLA per part × 3" is a `material` line)."""
    head = label.split(":", 1)[0].strip().lower().replace(" ", "_")
    return messages.get(f"breakdown.{head}") or label
