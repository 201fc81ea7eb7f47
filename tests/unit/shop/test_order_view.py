import datetime as dt
import uuid

from fabrika.contracts.catalog import PublishedCatalog
from fabrika.contracts.orders import HistoryEntry, OrderStatus, OrderView
from fabrika.mes.catalog import DEMO_CATALOG_PATH, catalog_to_dict, load_catalog
from fabrika.shop.locale import messages_for
from fabrika.shop.order_view import confirm_by, order_panel

T0 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
CATALOG = PublishedCatalog.model_validate(
    {**catalog_to_dict(load_catalog(DEMO_CATALOG_PATH)), "version": 1}
)


def order(status: OrderStatus, *, deadline_in_s: float = 86400, **fields) -> OrderView:
    history = [HistoryEntry(status=OrderStatus.NEW, at=T0)]
    if status != OrderStatus.NEW:
        history.append(HistoryEntry(status=status, at=T0 + dt.timedelta(seconds=60)))
    return OrderView(
        id=uuid.uuid4(),
        status=status,
        channel="shop",
        history=history,
        items=[],
        deadline_at=T0 + dt.timedelta(seconds=deadline_in_s),
        **fields,
    )


def test_a_quoted_order_may_be_confirmed_for_the_confirmation_time() -> None:
    quoted = order(OrderStatus.QUOTED)
    limit = confirm_by(quoted, confirm_timeout_s=600, reserve_s=30)
    assert limit == T0 + dt.timedelta(seconds=660)


def test_the_confirmation_time_ends_before_the_orders_deadline() -> None:
    quoted = order(OrderStatus.QUOTED, deadline_in_s=300)
    limit = confirm_by(quoted, confirm_timeout_s=600, reserve_s=30)
    assert limit == T0 + dt.timedelta(seconds=270)


def test_only_a_quoted_order_offers_confirmation_and_until_confirmed_cancellation() -> None:
    catalog = CATALOG

    def panel(status: OrderStatus) -> dict:
        return order_panel(
            order(status), catalog, messages_for("en"), confirm_timeout_s=600, reserve_s=30
        )

    assert panel(OrderStatus.QUOTED)["confirm_by"] is not None
    assert panel(OrderStatus.REGISTERED)["confirm_by"] is None
    assert [s for s in OrderStatus if panel(s)["cancellable"]] == [
        OrderStatus.NEW,
        OrderStatus.REGISTERED,
        OrderStatus.QUOTED,
    ]
    assert not panel(OrderStatus.ACCEPTED)["live"] and panel(OrderStatus.RESERVED)["live"]


def test_a_cancelled_order_tells_its_reason_in_the_pages_language() -> None:
    catalog = CATALOG
    cancelled = order(
        OrderStatus.CANCELLED, reason="No machine fits.", reason_code="no_machine_fits"
    )
    panel = order_panel(cancelled, catalog, messages_for("ru"), confirm_timeout_s=1, reserve_s=1)
    assert panel["reason"] == messages_for("ru")("problems.no_machine_fits")


def test_quote_lines_are_named_and_priced_in_the_pages_language() -> None:
    catalog = CATALOG
    quote = {
        "total": 1234.5,
        "currency": "EUR",
        "production_hours": 3.0,
        "ready_by": "2026-12-04",
        "catalog_version": 1,
        "lines": [
            {
                "summary": "2 × PA12 nylon, SLS",
                "material": "pa12",
                "process": "sls",
                "finish": "none",
                "quantity": 2,
                "machine_id": "sls-p396-1",
                "hours": 1.5,
                "unit_price": 600.0,
                "discount": 0.0,
                "line_total": 1234.5,
                "breakdown": [{"label": "Material: 3 g of PA12 nylon per part × 2", "amount": 9.5}],
            }
        ],
    }
    quoted = order(OrderStatus.QUOTED, quote=quote, price=1234.5, currency="EUR")
    panel = order_panel(quoted, catalog, messages_for("ru"), confirm_timeout_s=1, reserve_s=1)
    [line] = panel["lines"]
    assert line["title"] == "2 × Нейлон PA12, SLS, Без обработки"
    assert line["total"] == "1\xa0234,50\xa0€"
    assert ("Материал", "9,50\xa0€") in line["rows"]
