"""Adapters for outside systems: blob stores, secret backends, webhooks."""
