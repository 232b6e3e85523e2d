"""Secret backends behind `domain.secrets.ports.SecretBackend`: local envelope encryption,
Vault/OpenBao KV v2, AWS Secrets Manager through a pluggable client."""
