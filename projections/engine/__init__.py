"""The follower engine: reads the notification log in batches and applies each batch to a
follower with its tracking position in the same transaction, under an advisory leader lock;
poison events become dead letters (redrive, skip, parking); progress is NOTIFYed for waiters;
a read model is rebuilt into a shadow schema and swapped in; health reports on all of it.

The seam is `follower.Follower`: a name, `prepare` (make its tracking), `position`, and
`follow(conn, log, limit)`, which takes in the next batch and records the new position inside
the runner's transaction. The runner owns the rest (leader lock per name, LISTEN on the log,
batch lock, retries of transient errors, progress NOTIFY, runner state for health), so any
follower gets them. SQL read models are one implementation (`follower.ReadModel`: rows and
tracking row in the `rm_<name>` schema, dead letters on poison events). The NATS relay will
be another, whose "rows" are publishes: its `follow` publishes each event with
`Nats-Msg-Id` = event id, awaits the acks, then writes its position to a Postgres tracking
row in the same transaction (a crash between ack and commit republishes, and JetStream's
dedupe drops the copy), and its `prepare` resumes after what the stream last holds.
"""
