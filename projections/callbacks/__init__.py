"""Read model of callback deliveries: their status, tries and next due time."""
