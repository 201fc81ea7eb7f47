"""The order saga: one durable DBOS workflow per order, from submission to production."""
