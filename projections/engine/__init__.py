"""The follower engine: reads the notification log in batches and applies each batch to a
follower with its tracking position in the same transaction, under an advisory leader lock;
poison events become dead letters (redrive, skip, parking); progress is NOTIFYed for waiters;
a read model is rebuilt into a shadow schema and swapped in; health reports on all of it."""
