import type { Migration } from '../migration.js';

/**
 * PostgreSQL schema: the same tables and columns as SQLite (so `rows.ts` maps both), plus what
 * a shared, multi-process database needs. See docs/postgresql.md for the reasoning.
 *
 * - Ids are `text COLLATE "C"`: bytewise order, as in SQLite, so "ties by viewer id" and the
 *   connection list sort identically on both backends (and the btree compares faster).
 * - Times are `bigint` epoch milliseconds.
 * - `visits` is partitioned by month on `viewed_at` (partitions are created on demand by
 *   `partitions.ts`), so the retention purge drops whole partitions.
 * - Idempotency lives in `visit_client_ids`: a unique constraint on a partitioned table must
 *   include the partition key, and a client id must be unique whatever the visit's date.
 */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
CREATE TABLE workspaces (
  id text COLLATE "C" PRIMARY KEY,
  name text NOT NULL,
  settings jsonb NOT NULL,
  created_at bigint NOT NULL
);
CREATE TABLE members (
  workspace_id text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  name text, headline text, image_url text, company text, industry text, location text,
  public_identifier text, profile_url text,
  plan text NOT NULL DEFAULT 'free',
  visibility text NOT NULL DEFAULT 'full',
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (workspace_id, id)
);
-- Stored in both directions so "connections of X" is one index range.
CREATE TABLE connections (
  workspace_id text COLLATE "C" NOT NULL,
  member_id text COLLATE "C" NOT NULL,
  other_id text COLLATE "C" NOT NULL,
  created_at bigint NOT NULL,
  PRIMARY KEY (workspace_id, member_id, other_id)
);
CREATE SEQUENCE visits_id_seq AS bigint;
CREATE TABLE visits (
  id bigint NOT NULL DEFAULT nextval('visits_id_seq'),
  workspace_id text COLLATE "C" NOT NULL,
  profile_id text COLLATE "C" NOT NULL,
  viewer_id text COLLATE "C" NOT NULL,
  viewed_at bigint NOT NULL,
  source text NOT NULL,
  client_id text COLLATE "C"
) PARTITION BY RANGE (viewed_at);
ALTER SEQUENCE visits_id_seq OWNED BY visits.id;
-- Dedup window probes and exact per-viewer counts in a range.
CREATE INDEX visits_profile_viewer_time ON visits (workspace_id, profile_id, viewer_id, viewed_at);
-- Visitor lists over a closed range (until != null).
CREATE INDEX visits_profile_time ON visits (workspace_id, profile_id, viewed_at);
CREATE TABLE visit_client_ids (
  workspace_id text COLLATE "C" NOT NULL,
  client_id text COLLATE "C" NOT NULL,
  viewed_at bigint NOT NULL,
  PRIMARY KEY (workspace_id, client_id)
);
CREATE TABLE visitor_summary (
  workspace_id text COLLATE "C" NOT NULL,
  profile_id text COLLATE "C" NOT NULL,
  viewer_id text COLLATE "C" NOT NULL,
  view_count bigint NOT NULL,
  first_viewed_at bigint NOT NULL,
  last_viewed_at bigint NOT NULL,
  last_source text NOT NULL,
  PRIMARY KEY (workspace_id, profile_id, viewer_id)
);
CREATE INDEX visitor_summary_recent ON visitor_summary (workspace_id, profile_id, last_viewed_at DESC, viewer_id);
CREATE TABLE api_keys (
  id text COLLATE "C" PRIMARY KEY,
  workspace_id text COLLATE "C" NOT NULL,
  secret_hash text COLLATE "C" NOT NULL UNIQUE,
  role text NOT NULL,
  member_id text COLLATE "C",
  name text,
  credits bigint,
  created_at bigint NOT NULL,
  revoked_at bigint
);
CREATE INDEX api_keys_workspace ON api_keys (workspace_id);
`,
  },
  {
    version: 2,
    name: 'retention purge indexes',
    // Retention is a workspace setting, so a purge is "this workspace, older than its horizon".
    // Dropping monthly partitions covers the longest retention of all workspaces; the rest is
    // deleted per workspace, which without these indexes scans every profile of the workspace.
    // The same index also lets the purge forget client ids whose visits are gone.
    sql: `
CREATE INDEX visits_workspace_time ON visits (workspace_id, viewed_at);
CREATE INDEX visit_client_ids_time ON visit_client_ids (workspace_id, viewed_at);
`,
  },
  {
    version: 3,
    name: 'summary by viewer, for erasure',
    // Erasing a member removes them as a viewer too: without this index that means scanning the
    // summary of every profile in the workspace.
    sql: `
CREATE INDEX visitor_summary_viewer ON visitor_summary (workspace_id, viewer_id);
`,
  },
  {
    version: 4,
    name: 'distinct viewers per profile and day of last view',
    // The visitor list's total is "distinct viewers whose last view is in range". Counting
    // summary rows is a scan as long as the list (30 ms for a profile with 600k viewers); this
    // histogram of last-view days, kept on write, makes it a sum over at most a year of days plus
    // an index range over the boundary day.
    sql: `
CREATE TABLE viewer_day_counts (
  workspace_id text COLLATE "C" NOT NULL,
  profile_id text COLLATE "C" NOT NULL,
  day integer NOT NULL,
  viewers integer NOT NULL,
  PRIMARY KEY (workspace_id, profile_id, day)
);
INSERT INTO viewer_day_counts (workspace_id, profile_id, day, viewers)
  SELECT workspace_id, profile_id, (last_viewed_at / 86400000)::integer, count(*) FROM visitor_summary GROUP BY 1, 2, 3;
`,
  },
  {
    version: 5,
    name: 'visitor list page read from one covering index',
    // The page used to take the viewer ids from the index, then fetch each row through the
    // primary key: a summary's rows are written over months, so each is a heap page of its own
    // (ten for a page of ten, 1 to 1.5 ms on the bench's full dataset). With the remaining
    // columns in the index a page is one index-only range. Every counted visit changes
    // last_viewed_at, an indexed column, so those updates were never HOT: the wider entries cost
    // index size (525 -> 787 MB on that dataset), not HOT updates.
    sql: `
CREATE INDEX visitor_summary_page ON visitor_summary (workspace_id, profile_id, last_viewed_at DESC, viewer_id)
  INCLUDE (view_count, first_viewed_at, last_source);
DROP INDEX visitor_summary_recent;
`,
  },
  {
    version: 6,
    name: 'visitor list total read from the day histogram index alone',
    // The total sums one row per day in range, and a profile's day rows are written a day
    // apart, so each lay on a heap page of its own: 90 to 365 page reads per list (1.6 to 6 ms
    // on the bench's full dataset when not cached). With the count in the primary key, the sum is
    // an index-only range of a few pages. Updates of the count are no longer HOT; a day row sits
    // on a full page once its day is over, so a returning viewer's decrement of its old day
    // seldom was.
    sql: `
ALTER TABLE viewer_day_counts DROP CONSTRAINT viewer_day_counts_pkey,
  ADD PRIMARY KEY (workspace_id, profile_id, day) INCLUDE (viewers);
`,
  },
  {
    version: 7,
    name: 'blocks between members',
    // Stored as made (A blocked B); a list asks for both directions, hence the second index.
    sql: `
CREATE TABLE blocks (
  workspace_id text COLLATE "C" NOT NULL,
  member_id text COLLATE "C" NOT NULL,
  blocked_id text COLLATE "C" NOT NULL,
  created_at bigint NOT NULL,
  PRIMARY KEY (workspace_id, member_id, blocked_id)
);
CREATE INDEX blocks_blocked ON blocks (workspace_id, blocked_id);
`,
  },
  {
    version: 8,
    name: 'visit log, its per-workspace heads, projection checkpoints',
    // The visit log (docs/visit-log.md): one row per counted visit, written by the transaction
    // that records it. Positions are per workspace, handed out by an UPDATE of the workspace's
    // row in visit_log_heads: the row stays locked until the recording commits, so positions
    // commit in order and a reader that sees position n has seen every smaller one (a sequence
    // would let a later transaction commit a larger number first, and a reader skip the
    // smaller one for good). Existing visits are copied in, in id order.
    sql: `
CREATE TABLE visit_log (
  workspace_id text COLLATE "C" NOT NULL,
  position bigint NOT NULL,
  visit_id bigint NOT NULL,
  profile_id text COLLATE "C" NOT NULL,
  viewer_id text COLLATE "C" NOT NULL,
  viewed_at bigint NOT NULL,
  source text NOT NULL,
  client_id text,
  recorded_at bigint NOT NULL,
  PRIMARY KEY (workspace_id, position)
);
CREATE TABLE visit_log_heads (
  workspace_id text COLLATE "C" PRIMARY KEY,
  position bigint NOT NULL,
  recorded_at bigint NOT NULL
);
CREATE TABLE projection_checkpoints (
  name text COLLATE "C" NOT NULL,
  workspace_id text COLLATE "C" NOT NULL,
  position bigint NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (name, workspace_id)
);
INSERT INTO visit_log (workspace_id, position, visit_id, profile_id, viewer_id, viewed_at, source, client_id, recorded_at)
  SELECT workspace_id, row_number() OVER (PARTITION BY workspace_id ORDER BY id), id, profile_id, viewer_id, viewed_at, source, client_id,
    (extract(epoch FROM now()) * 1000)::bigint
  FROM visits;
INSERT INTO visit_log_heads (workspace_id, position, recorded_at)
  SELECT workspace_id, max(position), max(recorded_at) FROM visit_log GROUP BY workspace_id;
`,
  },
  {
    version: 9,
    name: 'audit log',
    // Appended by admin actions, read by time; the id orders entries of one millisecond.
    sql: `
CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  workspace_id text COLLATE "C" NOT NULL,
  at bigint NOT NULL,
  actor_key_id text COLLATE "C",
  action text NOT NULL,
  target text COLLATE "C" NOT NULL,
  details jsonb
);
CREATE INDEX audit_log_time ON audit_log (workspace_id, at, id);
`,
  },
  {
    version: 10,
    name: 'member job title',
    // Insights break viewers down by job title, which the free-text headline is not.
    sql: `
ALTER TABLE members ADD COLUMN title text;
`,
  },
  {
    version: 11,
    name: 'insights projections',
    // docs/insights.md; the same tables as SQLite's insights migration. Slots are epoch ms / 900000
    // (15 minutes), which fits an integer until the year 5,000. Built from the visit log by the
    // projection runner from position zero (insights.ts), so nothing is copied here.
    sql: `
CREATE TABLE insight_slots (
  workspace_id text COLLATE "C" NOT NULL,
  profile_id text COLLATE "C" NOT NULL,
  slot integer NOT NULL,
  views integer NOT NULL,
  PRIMARY KEY (workspace_id, profile_id, slot) INCLUDE (views)
);
CREATE TABLE insight_viewer_slots (
  workspace_id text COLLATE "C" NOT NULL,
  profile_id text COLLATE "C" NOT NULL,
  slot integer NOT NULL,
  viewer_id text COLLATE "C" NOT NULL,
  source text NOT NULL,
  views integer NOT NULL,
  PRIMARY KEY (workspace_id, profile_id, slot, viewer_id, source) INCLUDE (views)
);
CREATE INDEX insight_viewer_slots_workspace ON insight_viewer_slots (workspace_id, slot, viewer_id);
CREATE INDEX insight_viewer_slots_viewer ON insight_viewer_slots (workspace_id, viewer_id);
`,
  },
  {
    version: 12,
    name: 'webhook endpoints, messages and attempts',
    // src/webhooks/: one message per (event, endpoint) written to this outbox; delivery state
    // (next attempt, lease) lives on the message, each attempt in its own row for the delivery log.
    sql: `
CREATE TABLE webhook_endpoints (
  workspace_id text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  url text NOT NULL,
  description text,
  events text NOT NULL,
  enabled boolean NOT NULL,
  secret text NOT NULL,
  previous_secret text,
  previous_secret_until bigint,
  failing_since bigint,
  disabled_at bigint,
  disabled_reason text,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (workspace_id, id)
);
CREATE TABLE webhook_messages (
  id text COLLATE "C" PRIMARY KEY,
  workspace_id text COLLATE "C" NOT NULL,
  endpoint_id text COLLATE "C" NOT NULL,
  event text NOT NULL,
  payload text NOT NULL,
  occurred_at bigint NOT NULL,
  created_at bigint NOT NULL,
  status text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  step integer NOT NULL DEFAULT 0,
  next_attempt_at bigint,
  lease_owner text,
  lease_until bigint
);
CREATE INDEX webhook_messages_due ON webhook_messages (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_messages_endpoint_due ON webhook_messages (endpoint_id, next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_messages_log ON webhook_messages (workspace_id, endpoint_id, created_at);
CREATE TABLE webhook_attempts (
  message_id text COLLATE "C" NOT NULL,
  n integer NOT NULL,
  attempted_at bigint NOT NULL,
  status_code integer,
  error text,
  duration_ms integer NOT NULL,
  response_body text,
  PRIMARY KEY (message_id, n)
);
`,
  },
  {
    version: 13,
    name: 'insights versions',
    // docs/insights.md, "Kept results": as SQLite's migration 14, a counter per profile moved in
    // the transaction of every change to its rows of the insights projection.
    sql: `
CREATE TABLE insight_versions (
  workspace_id text COLLATE "C" NOT NULL,
  profile_id text COLLATE "C" NOT NULL,
  version bigint NOT NULL,
  PRIMARY KEY (workspace_id, profile_id)
);
`,
  },
  {
    version: 14,
    name: 'directory version',
    // docs/insights.md, "Kept results": what SQLite's change_epoch is to kept breakdowns, without
    // a row every member write would update (directory-version.ts says why a sequence).
    sql: `
CREATE SEQUENCE directory_version AS bigint;
`,
  },
  {
    version: 15,
    name: 'member-change log',
    // docs/webhooks.md, "Member events": as SQLite's migration 15. A change takes its positions
    // from the workspace's heads row, which its transaction holds locked until it commits, so
    // positions commit in order across every process (as visit_log_heads does for visits).
    sql: `
CREATE TABLE member_changes (
  workspace_id text COLLATE "C" NOT NULL,
  position bigint NOT NULL,
  kind text NOT NULL,
  member_id text COLLATE "C" NOT NULL,
  changed_at bigint NOT NULL,
  PRIMARY KEY (workspace_id, position)
);
CREATE TABLE member_change_heads (
  workspace_id text COLLATE "C" PRIMARY KEY,
  position bigint NOT NULL
);
`,
  },
];
