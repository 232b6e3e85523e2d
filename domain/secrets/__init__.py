"""Secrets: scoped, versioned, write-only values; their backends behind `ports`; the
per-attempt resolution with its access ledger; crypto-shredding of a purged org."""
