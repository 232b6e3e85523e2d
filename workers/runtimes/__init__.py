"""Runtime targets (to come): the local process runtime (a subprocess per task, with
resource limits) and Kubernetes Jobs."""
