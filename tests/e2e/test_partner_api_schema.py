"""Schemathesis against the partner API's own document (GET /v1/openapi.json): whatever a
client sends, valid or not, no answer is a server error, and every answer is the one the
document promises (status, content type, headers, body)."""

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.e2e.partners import new_partner

pytestmark = pytest.mark.e2e
# STL uploads are bytes: schemathesis sends what it generates for a binary string as is.
schemathesis.serializer.alias("model/stl", "application/octet-stream")
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
]


def test_every_answer_is_documented_and_none_is_a_server_error(platform) -> None:
    with httpx.Client(timeout=30) as http:
        # A generous plan, so that quotas (documented as 429) do not crowd out the rest.
        partner = new_partner(http, platform, plan="enterprise")
    schema = schemathesis.openapi.from_url(f"{platform.b2b}/v1/openapi.json")
    failures: list[str] = []
    tested = []
    for result in schema.get_all_operations():
        operation = result.ok()
        tested.append(operation.label)

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
        def exercise(case) -> None:
            case.call_and_validate(checks=CHECKS, headers=partner.auth, timeout=30)

        try:
            exercise()
        except Exception as failure:  # each operation's failures are reported together
            failures.append(f"{operation.label}: {failure}")

    assert len(tested) == 8, tested  # every operation of the partner API
    assert failures == [], "\n\n".join(failures)
