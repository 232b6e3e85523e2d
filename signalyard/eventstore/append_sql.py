"""The group append as one server-side function: one statement, one implicit transaction.

Members are numbered 0..n-1 within the group; rows go in in array order, which is also the
order their notification ids are drawn in. A member is refused (none of its rows go in) when
  - one of its (originator_id, originator_version) keys is already stored,
  - an aggregate it read has a later version by now (its read set), or
  - it belongs to an idempotent request whose attempt is no longer the current one (a
    retry with the same key took it over): such members come back in `fenced`.
For the members that go in, the same transaction marks their request's outcome committed
(with the last position) and moves their session's position forward.

Every check runs after the advisory lock is taken, and sees what committed before it only
because each statement of a plpgsql function takes a new snapshot under READ COMMITTED; under
REPEATABLE READ or SERIALIZABLE the snapshot would predate the lock, so the function refuses
to run there rather than check against a stale view.
"""

from psycopg.sql import SQL, Composed, Identifier

OUTCOMES_TABLE = "command_outcomes"
SESSIONS_TABLE = "session_positions"


def outcome_tables(schema: str) -> list[Composed]:
    """What the write side records beside the events, in the same transaction: which
    idempotent request (scope, key, attempt) a write belongs to, so a retry learns the
    outcome from the database and a superseded attempt can never commit; and each session's
    (API token's) last written position, for reads of its own writes. The API needs them
    whichever recorder writes, so they are made by `signalyard migrate` too."""
    return [
        SQL(
            "CREATE TABLE IF NOT EXISTS {} ("
            " scope text NOT NULL, key text NOT NULL, attempt uuid NOT NULL,"
            " fingerprint text NOT NULL, state text NOT NULL, position int8,"
            " status int, headers jsonb, body bytea,"
            " created_at timestamptz NOT NULL DEFAULT now(),"
            " lease_until timestamptz NOT NULL DEFAULT now(),"
            " PRIMARY KEY (scope, key))"
        ).format(Identifier(schema, OUTCOMES_TABLE)),
        SQL(
            "CREATE TABLE IF NOT EXISTS {} (session text PRIMARY KEY, position int8 NOT NULL)"
        ).format(Identifier(schema, SESSIONS_TABLE)),
    ]


# Formatted with psycopg.sql: schema, function, table, id_type, outcomes, sessions,
# channel, lock_space, table_name.
APPEND_FUNCTION = """
CREATE OR REPLACE FUNCTION {schema}.{function}(
  ids {id_type}[], versions int8[], topics text[], states bytea[], members int4[],
  read_ids {id_type}[], read_versions int8[], read_members int4[],
  sessions text[], session_members int4[],
  fence_scopes text[], fence_keys text[], fence_attempts uuid[], fence_members int4[],
  lock_timeout text)
RETURNS TABLE (n_id int8, o_id {id_type}, o_version int8, fenced int4)
LANGUAGE plpgsql
-- Plans are cached once per session, so they must not depend on the table's size when
-- first planned: without seq scans, hash or merge joins, each check is one primary-key
-- probe per row, always.
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off
AS $$
DECLARE
  taken int4[];
  superseded int4[];
  n_ids int8[];
  o_ids {id_type}[];
  o_versions int8[];
  member_ids int4[];
  member_positions int8[];
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'the group append needs READ COMMITTED, not %',
      current_setting('transaction_isolation') USING ERRCODE = '0A000';
  END IF;
  PERFORM set_config('lock_timeout', lock_timeout, true);
  LOCK TABLE {schema}.{table} IN ROW EXCLUSIVE MODE;
  PERFORM pg_advisory_xact_lock({lock_space}, {table_name}::regclass::oid::int4);
  NOTIFY {channel};
  IF cardinality(fence_members) > 0 THEN
    -- Lock first, then read: a takeover that committed meanwhile is seen.
    PERFORM 1 FROM {outcomes} o, unnest(fence_scopes, fence_keys) AS f(s, k)
      WHERE o.scope = f.s AND o.key = f.k FOR UPDATE OF o;
    SELECT array_agg(f.m) INTO superseded
      FROM unnest(fence_scopes, fence_keys, fence_attempts, fence_members) AS f(s, k, a, m)
      WHERE NOT EXISTS (SELECT 1 FROM {outcomes} o
        WHERE o.scope = f.s AND o.key = f.k AND o.attempt = f.a);
  END IF;
  SELECT array_agg(DISTINCT x.m) INTO taken FROM (
    SELECT b.m FROM unnest(ids, versions, members) AS b(i, v, m)
     WHERE EXISTS (SELECT 1 FROM {schema}.{table} t
       WHERE t.originator_id = b.i AND t.originator_version = b.v)
    UNION ALL
    SELECT r.m FROM unnest(read_ids, read_versions, read_members) AS r(i, v, m)
     WHERE EXISTS (SELECT 1 FROM {schema}.{table} t
       WHERE t.originator_id = r.i AND t.originator_version > r.v)
    UNION ALL
    SELECT s FROM unnest(superseded) AS s) x;
  WITH inserted AS (
    INSERT INTO {schema}.{table} AS e (originator_id, originator_version, topic, state)
    SELECT b.i, b.v, b.t, b.s
      FROM unnest(ids, versions, topics, states, members) WITH ORDINALITY AS b(i, v, t, s, m, o)
      WHERE taken IS NULL OR b.m <> ALL (taken) ORDER BY b.o
    RETURNING e.notification_id, e.originator_id, e.originator_version)
  SELECT array_agg(w.notification_id), array_agg(w.originator_id),
         array_agg(w.originator_version)
    INTO n_ids, o_ids, o_versions FROM inserted w;
  IF n_ids IS NOT NULL AND (cardinality(fence_members) > 0
                            OR cardinality(session_members) > 0) THEN
    SELECT array_agg(q.m), array_agg(q.n) INTO member_ids, member_positions FROM (
      SELECT b.m, max(r.n) AS n
        FROM unnest(ids, versions, members) AS b(i, v, m)
        JOIN unnest(o_ids, o_versions, n_ids) AS r(i, v, n) ON r.i = b.i AND r.v = b.v
        GROUP BY b.m) q;
    UPDATE {outcomes} o
       SET state = CASE WHEN o.state = 'pending' THEN 'committed' ELSE o.state END,
           position = GREATEST(o.position, p.n)
      FROM (SELECT f.s, f.k, max(g.n) AS n
              FROM unnest(fence_scopes, fence_keys, fence_members) AS f(s, k, m)
              JOIN unnest(member_ids, member_positions) AS g(m, n) ON g.m = f.m GROUP BY f.s, f.k) p
     WHERE o.scope = p.s AND o.key = p.k;
    INSERT INTO {sessions} AS sp (session, position)
      SELECT s.id, max(g.n)
        FROM unnest(sessions, session_members) AS s(id, m)
        JOIN unnest(member_ids, member_positions) AS g(m, n) ON g.m = s.m GROUP BY s.id
      ON CONFLICT (session) DO UPDATE SET position = GREATEST(sp.position, EXCLUDED.position);
  END IF;
  RETURN QUERY
    SELECT r.n, r.i, r.v, NULL::int4 FROM unnest(n_ids, o_ids, o_versions) AS r(n, i, v)
    UNION ALL
    SELECT NULL::int8, NULL::{id_type}, NULL::int8, s FROM unnest(superseded) AS s;
END $$
"""
