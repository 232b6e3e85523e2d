"""The local runtime: `runtime.py`, with `isolation.py` (user, PID namespace, parent death),
`limits.py` (rlimits, cgroup v2), `workdir.py` and `outcome.py`."""
