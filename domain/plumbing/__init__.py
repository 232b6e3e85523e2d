"""The write side's plumbing: where use cases load and record aggregates.

`store` (the eventsourcing Application, the repository), `unit_of_work` (one read session
per command, run optimistically then fresh), `read_session`, `aggregate_cache`,
`slug_claims`, `conflicts`. Snapshot intervals are declared by the aggregates themselves
(`snapshot_interval`). No business rule lives here.
"""
