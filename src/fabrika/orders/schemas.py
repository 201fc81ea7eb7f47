"""Kept so that sagas recorded by release 1 still recover: DBOS pickles step outputs, and
that release's outputs hold `OrderStatus` under this module's name. Outcomes now record
plain strings. Nothing imports this module; pickle does, by name. It can go once no saga
of release 1 can be pending, a deadline (26 h) after the last one was started."""

from fabrika.contracts.orders import OrderStatus

__all__ = ["OrderStatus"]
