"""The router process (to come): consumes the bus and applies EventRoutes (jq/CEL
transforms) to signal running Temporal workflows."""
