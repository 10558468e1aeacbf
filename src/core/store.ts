/**
 * What the core needs from a database. Every backend (storage/sqlite, storage/postgres)
 * implements these interfaces; the core never sees a driver. All methods are async so a
 * networked database fits behind them. Every method is keyed by workspace: no query can
 * cross tenants.
 */
import type {
  AcceptedVisit,
  ApiKey,
  Member,
  MemberInput,
  RecordOutcome,
  Role,
  ViewerSummary,
  Visibility,
  VisitSource,
  Workspace,
  WorkspaceSettings,
} from './types.js';
import type { AuditStore } from './audit.js';
import type { RetentionStore } from './retention.js';
import type { MemberDirectory } from './member-directory.js';
import type { InsightsStore } from './insights-store.js';
import type { Projection } from './projection.js';
import type { VisitLog } from './visit-log.js';
import type { MemberChangeLog } from './member-changes.js';

export interface WorkspaceStore {
  get(id: string): Promise<Workspace | undefined>;
  /** Every workspace's id, in id order (a retention purge walks them all). */
  ids(): Promise<string[]>;
  /** Creates the workspace, or returns the existing one with that id. */
  ensure(id: string, name: string): Promise<Workspace>;
  updateSettings(id: string, settings: WorkspaceSettings): Promise<Workspace>;
}

/** `replace` sets every field from the input (absent ones become null/default); `merge` keeps stored values for absent fields. */
export type UpsertMode = 'replace' | 'merge';

export interface MemberStore {
  get(workspaceId: string, id: string): Promise<Member | undefined>;
  getMany(workspaceId: string, ids: readonly string[]): Promise<Map<string, Member>>;
  existingIds(workspaceId: string, ids: readonly string[]): Promise<Set<string>>;
  /**
   * How many of `ids` are members of the workspace, by their current visibility: each member
   * once however often named; ids of no member count nowhere. Counted where the cards are, so
   * that a workspace's viewers over a year (up to every member) cross once and no card comes back.
   */
  countByVisibility(workspaceId: string, ids: readonly string[]): Promise<Record<Visibility, number>>;
  /**
   * Creates or changes members, in one transaction with their entries in the member-change log
   * (`created` for a new member, `updated` for one whose stored fields changed). A member whose
   * fields would not change is left as it is: no write, `updatedAt` kept, no entry.
   */
  upsert(workspaceId: string, inputs: readonly MemberInput[], mode: UpsertMode, now: number): Promise<Member[]>;
  /**
   * Erases a member in one transaction: the profile, their visits as owner and as viewer, the
   * summaries built from them, their connections; their API keys are revoked; an `erased`
   * entry goes to the member-change log. Returns false when there was no such member.
   */
  erase(workspaceId: string, id: string, now: number): Promise<boolean>;
}

export interface ConnectionStore {
  /** Returns false when the connection already existed. */
  add(workspaceId: string, a: string, b: string, now: number): Promise<boolean>;
  /** Returns false when there was no such connection. */
  remove(workspaceId: string, a: string, b: string): Promise<boolean>;
  list(workspaceId: string, memberId: string, offset: number, limit: number): Promise<{ total: number; ids: string[] }>;
  /** The connections of each of `ids` (members without any are absent from the map). Degrees are computed from this in the core. */
  neighbors(workspaceId: string, ids: readonly string[]): Promise<Map<string, readonly string[]>>;
}

export interface ViewerPageQuery {
  workspaceId: string;
  profileId: string;
  /** Inclusive lower bound of the range, epoch ms. */
  since: number;
  /** Exclusive upper bound; null means open-ended (the summary answers without touching raw visits). */
  until: number | null;
  offset: number;
  limit: number;
  /**
   * Viewers left out of the rows AND the total, as if they had never viewed the profile: the
   * members blocked by or blocking the owner (docs/privacy-controls.md). Sorted, no repeats;
   * absent or empty leaves nobody out.
   */
  excludeViewerIds?: readonly string[];
}

/** A position in a visitor list (newest last view first, then viewer id): the row a page ends with. */
export interface ViewerCursor {
  lastViewedAt: number;
  viewerId: string;
}

/** A page of an open-ended visitor list that starts after a row rather than at an offset. */
export interface ViewerCursorQuery {
  workspaceId: string;
  profileId: string;
  /** Inclusive lower bound of the range, epoch ms; the range is open-ended. */
  since: number;
  /** The rows strictly after this one in the list's order; null: from the top. */
  after: ViewerCursor | null;
  limit: number;
  /** As in ViewerPageQuery: viewers left out of the rows. */
  excludeViewerIds?: readonly string[];
}

/** One stored view of a pair, as the export rebuilds a row from them (use-cases/viewer-walk.ts). */
export interface PairView {
  viewedAt: number;
  source: VisitSource;
}

export interface VisitStore {
  /**
   * Stores visits atomically and durably, applying idempotency (client id) and the dedup window.
   * Resolves only once committed. Outcomes are in input order.
   */
  record(workspaceId: string, visits: readonly AcceptedVisit[], dedupWindowMs: number): Promise<RecordOutcome[]>;
  /** Distinct viewers with a view in the range, newest view first, ties by viewer id; counts are within the range. */
  listViewers(query: ViewerPageQuery): Promise<ViewerRows>;
  /**
   * The rows of the same open-ended list (same rows, counts within the range, order and
   * exclusions as `listViewers` with `until` null) that come after `after`, at most `limit`: a
   * page found from the index by where the previous one ended, so reading a list of any length
   * page by page costs each page alike. No total, no cache.
   */
  viewersAfter(query: ViewerCursorQuery): Promise<Omit<ViewerRows, 'total'>>;
  /**
   * Every stored view (pending ones included) of `profileId` by `viewerId` at or after `since`,
   * by time, a tie in recording order.
   */
  viewsOfPair(workspaceId: string, profileId: string, viewerId: string, since: number): Promise<PairView[]>;
  /**
   * The stored visits these client ids name (recorded or pending), for the core to tell a retry
   * from an id reused for another visit (use-cases/record-visits.ts). An id whose visit is gone
   * (purged, or its member erased) is absent.
   */
  byClientIds(workspaceId: string, clientIds: readonly string[]): Promise<Map<string, StoredVisit>>;
  /**
   * The profiles `viewerId` viewed, one row per profile (counts and times over every stored
   * visit, pending ones included), ordered by profile id from just after `afterProfileId`
   * (empty: from the start). For a member's export: their own actions, page by page.
   */
  viewedBy(workspaceId: string, viewerId: string, afterProfileId: string, limit: number): Promise<ViewedProfile[]>;
  /**
   * Erases what this store holds of a member, in one transaction: their visits as owner and as
   * viewer, the summaries and day counts built from them, their log entries and insights.
   * `MemberStore.erase` does this too, with the member, when both stores are one database; a
   * visit store apart from the entity store is asked on its own (storage/compose-stores.ts).
   */
  eraseMember(workspaceId: string, memberId: string): Promise<void>;
}

/** One profile a member viewed, as their export lists it. */
export interface ViewedProfile {
  profileId: string;
  viewCount: number;
  firstViewedAt: number;
  lastViewedAt: number;
}

/** What a client id names: the visit it was first sent with. */
export interface StoredVisit {
  profileId: string;
  viewerId: string;
  viewedAt: number;
}

export interface ViewerRows {
  total: number;
  rows: ViewerSummary[];
  /**
   * The page's viewers as members, for a backend that reads them with the page in one statement
   * (a round trip less per list on a database server). Absent: ask the member store. A viewer
   * missing from it no longer exists.
   */
  viewers?: ReadonlyMap<string, Member>;
}

export interface NewApiKey {
  id: string;
  workspaceId: string;
  secretHash: string;
  role: Role;
  memberId: string | null;
  name: string | null;
  credits: number | null;
  createdAt: number;
}

export type ChargeResult = { ok: true; remaining: number | null } | { ok: false; remaining: number };

export interface KeyStore {
  create(key: NewApiKey): Promise<ApiKey>;
  findBySecretHash(hash: string): Promise<ApiKey | undefined>;
  get(workspaceId: string, id: string): Promise<ApiKey | undefined>;
  list(workspaceId: string): Promise<ApiKey[]>;
  /** Returns false when no such active key exists in the workspace. */
  revoke(workspaceId: string, id: string, now: number): Promise<boolean>;
  setCredits(workspaceId: string, id: string, credits: number | null): Promise<ApiKey | undefined>;
  /** Takes `amount` credits atomically; never lets the balance go below zero. */
  charge(workspaceId: string, id: string, amount: number): Promise<ChargeResult>;
}

/** One member's block of another (stored one way; it applies both ways). */
export interface Block {
  memberId: string;
  blockedId: string;
  createdAt: number;
}

/**
 * Blocks between members of a workspace. A block is stored as made (A blocked B); the policy
 * that it works in both directions is the core's (use-cases/blocks.ts, list-viewers.ts,
 * record-visits.ts).
 */
export interface BlockStore {
  /** Returns false when the block already existed. */
  add(workspaceId: string, memberId: string, blockedId: string, now: number): Promise<boolean>;
  /** Returns false when there was no such block. */
  remove(workspaceId: string, memberId: string, blockedId: string): Promise<boolean>;
  /** The blocks `memberId` made, oldest first. */
  list(workspaceId: string, memberId: string): Promise<Block[]>;
  /** Everyone `memberId` blocked or was blocked by, sorted, no repeats. */
  between(workspaceId: string, memberId: string): Promise<readonly string[]>;
  /** The blocks made by any of `memberIds` (a pair of them is blocked when either made one). */
  madeBy(workspaceId: string, memberIds: readonly string[]): Promise<Block[]>;
}

export type StoreKind = 'sqlite' | 'postgres';

/**
 * The entity store (docs/architecture.md): who exists and what they may do. Workspaces and
 * their settings, members, connections, API keys and their credits, blocks, the audit log,
 * member search. Small, transactional, read by key.
 */
export interface EntityStore {
  readonly workspaces: WorkspaceStore;
  readonly members: MemberStore;
  readonly connections: ConnectionStore;
  readonly keys: KeyStore;
  readonly blocks: BlockStore;
  readonly audit: AuditStore;
  /** Member search for the admin console (member-directory.ts). */
  readonly directory: MemberDirectory;
  /** Every member created, changed or erased, in order, written with the change (member-changes.ts). */
  readonly memberChanges: MemberChangeLog;
}

/**
 * The visit store (docs/architecture.md): what happened. Recording and the visitor reads, the
 * visit log, the projections built from it (with their checkpoints), the insights read from one,
 * and the retention purge of visits. A new engine may implement this alone
 * (storage/compose-stores.ts puts it beside another backend's entity store).
 */
export interface VisitDataStore {
  readonly visits: VisitStore;
  /** Every counted visit in order (docs/visit-log.md). */
  readonly visitLog: VisitLog;
  /**
   * What is built from the log, the summary first. A new projection is pushed here (see
   * docs/visit-log.md) before the projection runner starts.
   */
  readonly projections: Projection[];
  /** The insights projections (insights-store.ts). */
  readonly insights: InsightsStore;
  readonly retention: RetentionStore;
}

/** Both stores, as the core and the app use them; `DATABASE_URL` sets both (storage/open-store.ts). */
export interface Store extends EntityStore, VisitDataStore {
  /** The backend of the entity store (features keeping tables beside it, webhooks, look at it). */
  readonly kind: StoreKind;
  /**
   * A request (or another unit of work) begins: its reads must see every commit made before
   * it, by any process, and need not see later ones. A store that checks for other processes'
   * commits before each read may check once for all the reads of the request (see the SQLite
   * read cache); others need not implement it. Work outside requests that must see other
   * processes' latest commits calls it first too.
   */
  beginRequest?(): void;
  /**
   * Named figures of the backend (pool connections, cache size), read when /metrics is scraped.
   * Names are Prometheus-style without the `pv_store_` prefix the metrics add.
   */
  stats?(): StoreStats;
  /** Waits for pending writes, then closes the database. */
  close(): Promise<void>;
}

export type StoreStats = Readonly<Record<string, { value: number; help: string }>>;
