"""The Temporal worker (to come), laid out as Temporal's samples: `workflows.py`
(deterministic; imports only temporalio and `schemas`), `activities.py` (methods of a class
holding the clients), `worker.py` (registers both on the task queue)."""
