"""The shop: customers' order API (B2C) on the shop entry."""
