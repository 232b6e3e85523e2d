"""Secret delivery (to come): resolves a task attempt's secrets from the backend in
`adapters/` (local envelope encryption or Vault KV v2) and records which version it read."""
