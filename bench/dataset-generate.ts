/**
 * The dataset's content from a seeded generator, independent of any database: member
 * profiles, a connection graph, and each owner's visits sorted by (viewer, time) with repeats
 * of a pair never closer than the dedup window. The loaders stream these into their store.
 */
import { VISIT_SOURCES, type VisitSource } from '../src/core/index.js';
import { Rng } from './rng.js';
import { CELEBRITY_INDEX, DAY_MS, DEDUP_WINDOW_MS, OwnerLaw, memberId, type DatasetShape } from './dataset-shape.js';

export interface MemberRecord {
  id: string;
  name: string;
  headline: string;
  imageUrl: string;
  company: string;
  industry: string;
  location: string;
  publicIdentifier: string;
  profileUrl: string;
  plan: 'free' | 'premium';
  visibility: 'full' | 'characteristics' | 'private';
}

const FIRST = ['Ada', 'Alan', 'Grace', 'Linus', 'Margaret', 'Ken', 'Barbara', 'Dennis', 'Frances', 'Edsger', 'Radia', 'Tim', 'Katherine', 'John', 'Hedy', 'Donald', 'Shafi', 'Vint', 'Sophie', 'Bjarne', 'Anita', 'Guido', 'Karen', 'James', 'Lynn', 'Niklaus', 'Mary', 'Yukihiro', 'Carol', 'Brian', 'Fei-Fei', 'Rasmus', 'Amina', 'Omar', 'Chen', 'Priya', 'Lucas', 'Ines', 'Mateo', 'Zara'];
const LAST = ['Lovelace', 'Turing', 'Hopper', 'Torvalds', 'Hamilton', 'Thompson', 'Liskov', 'Ritchie', 'Allen', 'Dijkstra', 'Perlman', 'Berners-Lee', 'Johnson', 'McCarthy', 'Lamarr', 'Knuth', 'Goldwasser', 'Cerf', 'Wilson', 'Stroustrup', 'Borg', 'van Rossum', 'Jones', 'Gosling', 'Conway', 'Wirth', 'Keller', 'Matsumoto', 'Shaw', 'Kernighan', 'Li', 'Lerdorf', 'Diallo', 'Haddad', 'Wei', 'Sharma', 'Silva', 'Garcia', 'Rossi', 'Novak'];
const TITLES = ['Software Engineer', 'Senior Software Engineer', 'Engineering Manager', 'Product Manager', 'Data Scientist', 'UX Designer', 'Sales Director', 'Account Executive', 'Marketing Lead', 'CTO', 'Founder & CEO', 'Recruiter', 'Financial Analyst', 'Nurse Practitioner', 'Professor of Physics', 'Logistics Coordinator', 'Content Strategist', 'DevOps Engineer', 'Security Researcher', 'Operations Manager'];
const INDUSTRIES = ['Software Development', 'Financial Services', 'Hospital & Health Care', 'Marketing & Advertising', 'Higher Education', 'Retail', 'Design', 'Telecommunications', 'Renewable Energy', 'Logistics', 'Biotechnology', 'Media Production'];
const CITIES = ['Paris, France', 'Berlin, Germany', 'London, United Kingdom', 'New York, United States', 'San Francisco, United States', 'Toronto, Canada', 'Madrid, Spain', 'Milan, Italy', 'Amsterdam, Netherlands', 'Stockholm, Sweden', 'Warsaw, Poland', 'Lagos, Nigeria', 'Nairobi, Kenya', 'Bangalore, India', 'Singapore, Singapore', 'Tokyo, Japan', 'Sydney, Australia', 'São Paulo, Brazil', 'Mexico City, Mexico', 'Dubai, United Arab Emirates'];
const SYLLABLES = ['ac', 'me', 'glo', 'bex', 'tron', 'vi', 'sta', 'nor', 'qua', 'lis', 'zen', 'ori', 'pha', 'dyn', 'ex', 'ter', 'mo', 'ra', 'lu', 'kin'];
const SUFFIXES = ['Labs', 'Systems', 'Group', 'Partners', 'Health', 'Capital', 'Logistics', 'Media', 'Energy', 'Software'];
/** Visit sources weighted roughly as a professional network sees them. */
const SOURCE_WEIGHTS: Record<VisitSource, number> = { search: 30, feed: 20, profile: 15, similar_profiles: 10, group: 5, direct: 10, external: 5, other: 5 };

export function companies(shape: DatasetShape): string[] {
  const rng = new Rng(shape.seed, 'companies');
  const n = Math.max(10, Math.round(shape.members / 50));
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const word = rng.pick(SYLLABLES) + rng.pick(SYLLABLES) + (rng.float() < 0.5 ? rng.pick(SYLLABLES) : '');
    out.push(`${word[0]!.toUpperCase()}${word.slice(1)} ${rng.pick(SUFFIXES)}`);
  }
  return out;
}

/** Members in id order. The celebrity (index 0) is premium and browses publicly. */
export function* generateMembers(shape: DatasetShape): Generator<MemberRecord> {
  const rng = new Rng(shape.seed, 'members');
  const cos = companies(shape);
  for (let i = 0; i < shape.members; i++) {
    const first = rng.pick(FIRST);
    const last = rng.pick(LAST);
    const slug = `${first}-${last}-${i.toString(36)}`.toLowerCase().replace(/[^a-z0-9-]/g, '');
    const v = rng.float();
    const visibility = v < shape.visibility.full ? 'full' : v < shape.visibility.full + shape.visibility.characteristics ? 'characteristics' : 'private';
    const premium = rng.float() < shape.premiumShare;
    const celebrity = i === CELEBRITY_INDEX;
    yield {
      id: memberId(i),
      name: celebrity ? 'Celebrity Profile' : `${first} ${last}`,
      headline: rng.pick(TITLES),
      imageUrl: `https://img.example.com/p/${slug}.jpg`,
      company: rng.pick(cos),
      industry: rng.pick(INDUSTRIES),
      location: rng.pick(CITIES),
      publicIdentifier: slug,
      profileUrl: `https://community.example.com/in/${slug}`,
      plan: celebrity || premium ? 'premium' : 'free',
      visibility: celebrity ? 'full' : visibility,
    };
  }
}

/** An undirected graph as adjacency lists (CSR): `adj[offsets[i] .. offsets[i+1])` are i's neighbours, sorted, distinct. */
export interface Graph {
  offsets: Uint32Array;
  adj: Uint32Array;
  /** Directed rows (each edge counted twice). */
  rows: number;
}

/** Each member draws connectionsPerMember/2 random others; edges are symmetric, so the average degree is about connectionsPerMember. */
export function buildGraph(shape: DatasetShape): Graph {
  const rng = new Rng(shape.seed, 'connections');
  const n = shape.members;
  const per = Math.round(shape.connectionsPerMember / 2);
  const ea = new Uint32Array(n * per);
  const eb = new Uint32Array(n * per);
  const deg = new Uint32Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < per; k++) {
      const j = rng.int(n);
      if (j === i) continue;
      ea[m] = i;
      eb[m] = j;
      deg[i]!++;
      deg[j]!++;
      m++;
    }
  }
  const offsets = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i]! + deg[i]!;
  const fill = offsets.slice(0, n);
  const raw = new Uint32Array(offsets[n]!);
  for (let e = 0; e < m; e++) {
    const a = ea[e]!;
    const b = eb[e]!;
    raw[fill[a]!++] = b;
    raw[fill[b]!++] = a;
  }
  // Sort each list and drop duplicate edges, compacting in place.
  const out = new Uint32Array(raw.length);
  const outOffsets = new Uint32Array(n + 1);
  let w = 0;
  for (let i = 0; i < n; i++) {
    const list = raw.subarray(offsets[i]!, offsets[i + 1]!).sort();
    outOffsets[i] = w;
    for (let k = 0; k < list.length; k++) if (k === 0 || list[k] !== list[k - 1]) out[w++] = list[k]!;
  }
  outOffsets[n] = w;
  return { offsets: outOffsets, adj: out.slice(0, w), rows: w };
}

/** Visits per owner: the celebrity's fixed count, the rest drawn by the Zipf law. */
export function visitCounts(shape: DatasetShape, law: OwnerLaw): Uint32Array {
  const rng = new Rng(shape.seed, 'visit-owners');
  const counts = new Uint32Array(shape.members);
  counts[CELEBRITY_INDEX] = shape.celebrityVisits;
  for (let k = shape.visits - shape.celebrityVisits; k > 0; k--) counts[law.sample(rng)]!++;
  return counts;
}

export interface OwnerVisits {
  /** Number of visits kept (after dropping repeats inside the dedup window). */
  length: number;
  viewer: Uint32Array;
  viewedAt: Float64Array;
  source: Uint8Array;
}

export const SOURCES: readonly VisitSource[] = VISIT_SOURCES;
const SOURCE_CDF = (() => {
  const total = SOURCES.reduce((s, k) => s + SOURCE_WEIGHTS[k], 0);
  let acc = 0;
  return SOURCES.map((k) => (acc += SOURCE_WEIGHTS[k] / total));
})();

function pickSource(rng: Rng): number {
  const u = rng.float();
  for (let i = 0; i < SOURCE_CDF.length; i++) if (u < SOURCE_CDF[i]!) return i;
  return SOURCE_CDF.length - 1;
}

/**
 * Generates one owner's visits: uniform viewers (never the owner), ages mixing a uniform year
 * (60%) and a recent-heavy exponential (40%, mean 30 days). Sorted by (viewer, time); a visit
 * less than the dedup window after the pair's previous kept visit is dropped, as the store would.
 */
export class VisitGenerator {
  private rng: Rng;
  private viewer = new Uint32Array(0);
  private at = new Float64Array(0);
  private src = new Uint8Array(0);
  private order = new Uint32Array(0);
  private out: OwnerVisits = { length: 0, viewer: new Uint32Array(0), viewedAt: new Float64Array(0), source: new Uint8Array(0) };

  constructor(
    private shape: DatasetShape,
    private now: number,
  ) {
    this.rng = new Rng(shape.seed, 'visits');
  }

  forOwner(owner: number, count: number): OwnerVisits {
    this.reserve(count);
    const rng = this.rng;
    const n = this.shape.members;
    const maxAge = (this.shape.days - 1) * DAY_MS;
    for (let k = 0; k < count; k++) {
      let v = rng.int(n - 1);
      if (v >= owner) v++;
      const age = rng.float() < 0.6 ? rng.float() * maxAge : Math.min(maxAge, -Math.log(1 - rng.float()) * 30 * DAY_MS);
      this.viewer[k] = v;
      this.at[k] = Math.floor(this.now - age);
      this.src[k] = pickSource(rng);
      this.order[k] = k;
    }
    const order = this.order.subarray(0, count);
    const viewer = this.viewer;
    const at = this.at;
    order.sort((a, b) => viewer[a]! - viewer[b]! || at[a]! - at[b]!);
    const out = this.out;
    let w = 0;
    for (let k = 0; k < count; k++) {
      const i = order[k]!;
      if (w > 0 && out.viewer[w - 1] === viewer[i] && at[i]! - out.viewedAt[w - 1]! < DEDUP_WINDOW_MS) continue;
      out.viewer[w] = viewer[i]!;
      out.viewedAt[w] = at[i]!;
      out.source[w] = this.src[i]!;
      w++;
    }
    out.length = w;
    return out;
  }

  private reserve(count: number) {
    if (this.viewer.length >= count) return;
    const size = Math.max(count, 1024);
    this.viewer = new Uint32Array(size);
    this.at = new Float64Array(size);
    this.src = new Uint8Array(size);
    this.order = new Uint32Array(size);
    this.out = { length: 0, viewer: new Uint32Array(size), viewedAt: new Float64Array(size), source: new Uint8Array(size) };
  }
}
