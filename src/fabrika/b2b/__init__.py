"""The partner API (B2B) on its own entry: API keys, and (later) quotas and webhooks."""
