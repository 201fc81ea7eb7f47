"""The operators' API: orders by state, the overdue list, saga timelines, retry and cancel."""
