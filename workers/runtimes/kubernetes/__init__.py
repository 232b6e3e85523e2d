"""The Kubernetes runtime: `runtime.py`, with `manifests.py` (Job, Secret), `validation.py`,
`job_watcher.py` (one shared watch) and `job_state.py`."""
