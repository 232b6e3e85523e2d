"""Signalyard's Postgres persistence for the eventsourcing library (group commit)."""

PERSISTENCE_MODULE = "signalyard.eventstore.postgres"
