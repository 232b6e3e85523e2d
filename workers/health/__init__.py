"""Health (to come): heartbeats and probes of dispatchers and runtimes, kept outside the
event log; only changes of status become events."""
