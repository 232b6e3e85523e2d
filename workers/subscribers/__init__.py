"""Users' own durable consumers of the bus (see README, "Subscribing to events")."""

from workers.subscribers.processed import MemoryProcessedIds, ProcessedIds
from workers.subscribers.subscriber import Subscriber, SubscriberConfig

__all__ = ["MemoryProcessedIds", "ProcessedIds", "Subscriber", "SubscriberConfig"]
