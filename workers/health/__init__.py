"""Health: probes of infra services on their interval, counters kept outside the event
log; only changes of health become events."""
