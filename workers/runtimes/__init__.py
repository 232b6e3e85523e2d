"""Where agent attempts run, behind one interface (`interface.py`): `spec.py` (what to run),
`workspace.py` (the files and env every runtime lays out), `local/` (a subprocess per
attempt with limits) and `kubernetes/` (a Job per attempt)."""
