"""The relay: a follower of the notification log on the projection engine that publishes
each event to NATS JetStream as a CloudEvent (`Nats-Msg-Id` = event id), tracking its
position after the ack (see follower.py, publisher.py, mapping.py)."""
