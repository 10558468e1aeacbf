import type { Migration } from '../migration.js';

/**
 * SQLite schema. The visitor list reads `visitor_summary` (one row per profile and viewer,
 * maintained on write) through `visitor_summary_recent`, so a page costs an index range scan
 * whatever the number of raw visits; raw `visits` stay for range counts and insights.
 */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
CREATE TABLE workspaces (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  settings TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE members (
  workspace_id TEXT NOT NULL,
  id TEXT NOT NULL,
  name TEXT, headline TEXT, image_url TEXT, company TEXT, industry TEXT, location TEXT,
  public_identifier TEXT, profile_url TEXT,
  plan TEXT NOT NULL DEFAULT 'free',
  visibility TEXT NOT NULL DEFAULT 'full',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, id)
) WITHOUT ROWID;
-- Stored in both directions so "connections of X" is one index range.
CREATE TABLE connections (
  workspace_id TEXT NOT NULL,
  member_id TEXT NOT NULL,
  other_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, member_id, other_id)
) WITHOUT ROWID;
CREATE TABLE visits (
  id INTEGER PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  profile_id TEXT NOT NULL,
  viewer_id TEXT NOT NULL,
  viewed_at INTEGER NOT NULL,
  source TEXT NOT NULL,
  client_id TEXT
);
CREATE UNIQUE INDEX visits_client_id ON visits (workspace_id, client_id) WHERE client_id IS NOT NULL;
CREATE INDEX visits_profile_viewer_time ON visits (workspace_id, profile_id, viewer_id, viewed_at);
CREATE INDEX visits_profile_time ON visits (workspace_id, profile_id, viewed_at);
CREATE TABLE visitor_summary (
  workspace_id TEXT NOT NULL,
  profile_id TEXT NOT NULL,
  viewer_id TEXT NOT NULL,
  view_count INTEGER NOT NULL,
  first_viewed_at INTEGER NOT NULL,
  last_viewed_at INTEGER NOT NULL,
  last_source TEXT NOT NULL,
  PRIMARY KEY (workspace_id, profile_id, viewer_id)
) WITHOUT ROWID;
CREATE INDEX visitor_summary_recent ON visitor_summary (workspace_id, profile_id, last_viewed_at DESC, viewer_id);
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  secret_hash TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  member_id TEXT,
  name TEXT,
  credits INTEGER,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX api_keys_workspace ON api_keys (workspace_id);
`,
  },
  {
    version: 2,
    name: 'retention purge index',
    // Retention is a workspace setting, so a purge deletes "this workspace's visits older than
    // its horizon"; the profile-first indexes above would make that scan every profile.
    sql: `
CREATE INDEX visits_workspace_time ON visits (workspace_id, viewed_at);
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
  workspace_id TEXT NOT NULL,
  profile_id TEXT NOT NULL,
  day INTEGER NOT NULL,
  viewers INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, profile_id, day)
) WITHOUT ROWID;
INSERT INTO viewer_day_counts (workspace_id, profile_id, day, viewers)
  SELECT workspace_id, profile_id, last_viewed_at / 86400000, count(*) FROM visitor_summary GROUP BY 1, 2, 3;
`,
  },
  {
    version: 5,
    name: 'visitor list page read from one covering index',
    // The page used to take the viewer ids from the index, then look each row up in the table:
    // ten random page reads per page on a large file. With the row's remaining columns in the
    // index, a page is one contiguous index range (measured on the 9.3M-row bench summary: about
    // 50 -> 33 us per page). Every counted visit moves the row's index entry anyway (its
    // last_viewed_at changes), so writes pay little more.
    sql: `
CREATE INDEX visitor_summary_page ON visitor_summary (workspace_id, profile_id, last_viewed_at DESC, viewer_id, view_count, first_viewed_at, last_source);
DROP INDEX visitor_summary_recent;
`,
  },
  {
    version: 6,
    name: 'fold watermark and change epoch, for the visit inbox',
    // Recording a visit used to update about six B-trees at random places (raw visits and two
    // of its indexes, the summary and two of its indexes, the day histogram): measured on the
    // bench dataset, 150 to 250 us of one core per visit, most of it writing and checkpointing
    // the pages it dirtied. Acknowledged visits are now appended to an inbox (a database file
    // of its own, inbox-db.ts) and folded into these tables in batches, off the request path
    // (fold.ts). `fold_state` says which inbox visits are folded: every seq up to
    // `folded_through`, committed with the batch. `change_epoch` moves with every write a
    // reader could see in members or visitor lists, and not with folds, which change nothing a
    // reader sees: the read caches of every process watch it.
    sql: `
CREATE TABLE fold_state (id INTEGER PRIMARY KEY CHECK (id = 1), folded_through INTEGER NOT NULL);
INSERT INTO fold_state (id, folded_through) SELECT 1, coalesce(max(id), 0) FROM visits;
CREATE TABLE change_epoch (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
INSERT INTO change_epoch (id, n) VALUES (1, 0);
`,
  },
  {
    version: 7,
    name: 'member ids alone, for existence checks',
    // Recording a visit checks that its profile and viewer exist. `members` is WITHOUT ROWID
    // with whole cards in its B-tree (about 270 bytes a row), so its interior pages hold about
    // fifteen keys and a million members make it five levels deep; this index of the keys alone
    // is three levels and a fourteenth of the size. Measured on the bench's million members:
    // 5.6 -> 3.5 us per random lookup. The lookups name it (INDEXED BY, members.ts), since the
    // planner would take the primary key for a single id.
    sql: `
CREATE INDEX members_ids ON members (workspace_id, id);
`,
  },
  {
    version: 8,
    name: 'blocks between members',
    // Stored as made (A blocked B); a list asks for both directions, hence the second index.
    sql: `
CREATE TABLE blocks (
  workspace_id TEXT NOT NULL,
  member_id TEXT NOT NULL,
  blocked_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, member_id, blocked_id)
) WITHOUT ROWID;
CREATE INDEX blocks_blocked ON blocks (workspace_id, blocked_id);
`,
  },
  {
    version: 9,
    name: 'projection checkpoints',
    // Where each projection of the visit log (docs/visit-log.md) has got to in each workspace,
    // written in the transaction that writes what it derived from the entries up to there. The
    // summary projection keeps its own (fold_state.folded_through, global), not here.
    sql: `
CREATE TABLE projection_checkpoints (
  name TEXT NOT NULL,
  workspace_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (name, workspace_id)
) WITHOUT ROWID;
`,
  },
  {
    version: 10,
    name: 'audit log',
    // Appended by admin actions, read by time; the rowid orders entries of one millisecond.
    sql: `
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  actor_key_id TEXT,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  details TEXT
);
CREATE INDEX audit_log_time ON audit_log (workspace_id, at, id);
`,
  },
  {
    version: 11,
    name: 'member job title',
    // Insights break viewers down by job title, which the free-text headline is not.
    sql: `
ALTER TABLE members ADD COLUMN title TEXT;
`,
  },
  {
    version: 12,
    name: 'insights projections',
    // docs/insights.md. Views per profile per 15-minute slot (totals and series: at most 35,040
    // rows a year per profile, whatever its number of visits), and per (profile, slot, viewer,
    // source) for distinct viewers and breakdowns. Slots are 15 minutes so that every local
    // midnight of every zone in use is a slot boundary. The second index serves the workspace's
    // distinct viewers per day, the third an erase. Built from the visit log by the projection
    // runner from position zero (insights.ts), so nothing is copied here.
    sql: `
CREATE TABLE insight_slots (
  workspace_id TEXT NOT NULL,
  profile_id TEXT NOT NULL,
  slot INTEGER NOT NULL,
  views INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, profile_id, slot)
) WITHOUT ROWID;
CREATE TABLE insight_viewer_slots (
  workspace_id TEXT NOT NULL,
  profile_id TEXT NOT NULL,
  slot INTEGER NOT NULL,
  viewer_id TEXT NOT NULL,
  source TEXT NOT NULL,
  views INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, profile_id, slot, viewer_id, source)
) WITHOUT ROWID;
CREATE INDEX insight_viewer_slots_workspace ON insight_viewer_slots (workspace_id, slot, viewer_id);
CREATE INDEX insight_viewer_slots_viewer ON insight_viewer_slots (workspace_id, viewer_id);
`,
  },
  {
    version: 13,
    name: 'webhook endpoints, messages and attempts',
    // src/webhooks/: one message per (event, endpoint) written to this outbox; delivery state
    // (next attempt, lease) lives on the message, each attempt in its own row for the delivery log.
    sql: `
CREATE TABLE webhook_endpoints (
  workspace_id TEXT NOT NULL,
  id TEXT NOT NULL,
  url TEXT NOT NULL,
  description TEXT,
  events TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  secret TEXT NOT NULL,
  previous_secret TEXT,
  previous_secret_until INTEGER,
  failing_since INTEGER,
  disabled_at INTEGER,
  disabled_reason TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, id)
) WITHOUT ROWID;
CREATE TABLE webhook_messages (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL,
  event TEXT NOT NULL,
  payload TEXT NOT NULL,
  occurred_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  step INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  lease_owner TEXT,
  lease_until INTEGER
);
CREATE INDEX webhook_messages_due ON webhook_messages (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_messages_endpoint_due ON webhook_messages (endpoint_id, next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_messages_log ON webhook_messages (workspace_id, endpoint_id, created_at);
CREATE TABLE webhook_attempts (
  message_id TEXT NOT NULL,
  n INTEGER NOT NULL,
  attempted_at INTEGER NOT NULL,
  status_code INTEGER,
  error TEXT,
  duration_ms INTEGER NOT NULL,
  response_body TEXT,
  PRIMARY KEY (message_id, n)
) WITHOUT ROWID;
`,
  },
  {
    version: 14,
    name: 'insights versions',
    // docs/insights.md, "Cost". A counter per profile that every change to the profile's rows of
    // the insights projection moves (apply, erase, purge, rebuild), so that a process may keep
    // what it computed from those rows and know, by one row's read, whether it still holds.
    // Counters only grow (a rebuild moves them instead of deleting them), so a value is never
    // seen twice for different rows. No row counts as 0: nothing applied since the rows were
    // written (by a bulk load, or never); the first change writes 1.
    sql: `
CREATE TABLE insight_versions (
  workspace_id TEXT NOT NULL,
  profile_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, profile_id)
) WITHOUT ROWID;
`,
  },
  {
    version: 15,
    name: 'member-change log',
    // docs/webhooks.md, "Member events": each member created, changed or erased, written in the
    // transaction of the change at the next position of its workspace (the heads row), read by
    // the webhook outbox from its checkpoint and pruned behind it. Positions are never reused:
    // the head stays when entries are pruned.
    sql: `
CREATE TABLE member_changes (
  workspace_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  kind TEXT NOT NULL,
  member_id TEXT NOT NULL,
  changed_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, position)
) WITHOUT ROWID;
CREATE TABLE member_change_heads (
  workspace_id TEXT PRIMARY KEY,
  position INTEGER NOT NULL
) WITHOUT ROWID;
`,
  },
  {
    version: 16,
    name: 'workspace insights index covers the report',
    // docs/insights.md, "Cost". Workspace insights read the range's viewer slots in key order,
    // a chunk at a time (storage/sqlite/insights.ts): the index on (workspace, slot, viewer)
    // did not hold `views`, so every row was a lookup into the table (a full-scale 30-day
    // report: 3 million lookups, 10 to 15 s). Now it holds every column the report reads, and
    // its key (slot, viewer, profile, source) is unique, which the chunks' keyset needs. In a
    // WITHOUT ROWID table an index already carries the primary key; naming profile_id and
    // source puts them before views, in the key. Same name, so its other reads are unchanged.
    sql: `
DROP INDEX insight_viewer_slots_workspace;
CREATE INDEX insight_viewer_slots_workspace ON insight_viewer_slots (workspace_id, slot, viewer_id, profile_id, source, views);
`,
  },
];
