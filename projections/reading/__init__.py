"""What every read model's query side shares: who is reading (`Viewer`) and cursor pages.

Kept apart from `projections.engine` because only the query API uses it: the engine (and
the relay to come) follows the log and never serves a reader, so it must not depend on this.
"""
