"""Sagas recorded by the release before the typed contracts (9307342) still replay.

DBOS pickles what each step returns. That release's outcomes held `OrderStatus` under
`fabrika.orders.schemas`; the payloads below are what it recorded (made by that release's
code with DBOS's serializer), and must read back and drive today's saga the same way."""

from dbos._serialization import DefaultSerializer

from fabrika.contracts.orders import OrderStatus
from fabrika.orders.saga import OrderSaga
from tests.unit.orders.test_saga import CONFIRM, ScriptedRuntime, acceptance, order

# open_order's outcome for a shop order priced at once, waiting for its customer.
OPENED_BY_RELEASE_1 = (
    "gASVcwEAAAAAAAB9lCiMBXF1b3RllH2UKIwCaWSUjAdvcmRlci0xlIwGc3RhdHVzlIwEZG9uZZRoAX2UKIwFdG90"
    "YWyUR0AkAAAAAAAAjAhjdXJyZW5jeZSMA0VVUpSMEHByb2R1Y3Rpb25faG91cnOURz/wAAAAAAAAjAhyZWFkeV9i"
    "eZSMCjIwMjYtMTItMDOUjA9jYXRhbG9nX3ZlcnNpb26USwGMBWxpbmVzlF2UdXWMCXF1b3RlZF9hdJSMGTIwMjYt"
    "MTEtMzBUMTA6MDA6MDArMDA6MDCUjAhhY2NlcHRlZJSJjApjb25maXJtX2J5lIwZMjAyNi0xMi0wMVQxMDowMDow"
    "MCswMDowMJSMAm9rlIhoBYwWZmFicmlrYS5vcmRlcnMuc2NoZW1hc5SMC09yZGVyU3RhdHVzlJOUjAZRVU9URUSU"
    "hZRSlIwTY2FuY2VsX3JlcXVlc3RlZF9ieZROjAZxdW90ZWSUiIwIYXR0ZW1wdHOUSwF1Lg=="
)
# The saga's own result: the order's final status.
ACCEPTED_BY_RELEASE_1 = (
    "gASVOQAAAAAAAACMFmZhYnJpa2Eub3JkZXJzLnNjaGVtYXOUjAtPcmRlclN0YXR1c5STlIwIQUNDRVBURUSUhZRSlC4="
)


def test_a_status_recorded_by_release_1_reads_back_as_today_s_status() -> None:
    status = DefaultSerializer().deserialize(ACCEPTED_BY_RELEASE_1)
    assert status is OrderStatus.ACCEPTED


async def test_a_saga_recorded_by_release_1_goes_on_from_its_recorded_first_step() -> None:
    opened = DefaultSerializer().deserialize(OPENED_BY_RELEASE_1)
    assert opened["status"] == OrderStatus.QUOTED and opened["quote"]["status"] == "done"
    runtime = ScriptedRuntime().answers("open_order", opened)
    runtime.answers("accept_into_production", acceptance()).decide(CONFIRM)
    submission = order()

    saga = OrderSaga(submission, submission.model_dump(mode="json"), runtime)

    assert await saga.execute() == OrderStatus.ACCEPTED
    assert runtime.steps == ["open_order", "accept_into_production"]
    assert runtime.waits == [24 * 3600]  # from quoted_at to confirm_by, as recorded
    _, _, _, _, email = runtime.args_of("accept_into_production")
    assert email["params"]["price"] == "10.00"  # the recorded quote's price
