from fabrika.b2b.gcra import Verdict
from fabrika.b2b.quotas import QUOTA_EXCEEDED, quota_exceeded, rate_limit_headers
from fabrika.contracts.accounts import PolicyKind, QuotaPolicy

WRITES = QuotaPolicy(rate_per_s=10, burst=20)


def test_the_headers_follow_the_ietf_draft_syntax() -> None:
    verdict = Verdict(True, remaining=17, retry_after_us=0, reset_us=300_000, tat_us=0)

    headers = rate_limit_headers(PolicyKind.WRITES, WRITES, verdict)

    assert headers == {"RateLimit-Policy": '"writes";q=20;w=2', "RateLimit": '"writes";r=17;t=1'}


def test_a_refusal_names_the_policy_and_when_to_come_back() -> None:
    verdict = Verdict(False, remaining=0, retry_after_us=1_200_000, reset_us=2_000_000, tat_us=0)

    problem = quota_exceeded("acct", PolicyKind.WRITES, WRITES, verdict)

    assert problem.status == 429 and problem.type == QUOTA_EXCEEDED
    assert problem.extensions["violated-policies"] == ["writes"]
    assert problem.headers is not None and problem.headers["Retry-After"] == "2"
    assert problem.headers["RateLimit"] == '"writes";r=0;t=2'
    assert "retry in 2 s" in problem.detail
