"""Read model of infra services, and the liveness table the health checker keeps beside it."""
