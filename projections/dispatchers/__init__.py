"""Dispatchers: their credentials (a read model) and their heartbeats (a table beside the log)."""
