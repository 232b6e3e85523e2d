"""Dispatchers (to come): take queued tasks from the bus (pull consumer or signed push),
claim them with a command on the Task and hand them to a runtime."""
