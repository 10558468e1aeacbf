/**
 * The dataset's shape, as pure functions of (scale, seed): counts, ids, the Zipf law of
 * owners, the celebrity. The loaders and the request generators both read it, so requests
 * follow the same law as the data without reading the data back.
 */
import { Rng, permutation } from './rng.js';
import { Zipf } from './zipf.js';
import type { Scale } from './args.js';

/** Bump when the generated data changes, so that old datasets are not reused. */
export const GENERATOR_VERSION = 1;
export const WORKSPACE_ID = 'bench';
export const DAY_MS = 86_400_000;
export const DEDUP_WINDOW_MS = 30 * 60_000;

export interface DatasetShape {
  scale: Scale;
  seed: number;
  members: number;
  /** All visits, the celebrity's included (a few repeats closer than the dedup window are dropped). */
  visits: number;
  celebrityVisits: number;
  days: number;
  /** Average connections per member (edges are stored in both directions). */
  connectionsPerMember: number;
  /** Exponent of the Zipf law of owners (1 = classic Zipf). */
  zipfS: number;
  /** Share of premium members (the celebrity is always premium). */
  premiumShare: number;
  /** Visibility shares of members as viewers. */
  visibility: { full: number; characteristics: number; private: number };
}

export function datasetShape(scale: Scale, seed: number): DatasetShape {
  const div = scale === 'full' ? 1 : 100;
  return {
    scale,
    seed,
    members: 1_000_000 / div,
    visits: 10_000_000 / div,
    celebrityVisits: 1_000_000 / div,
    days: 365,
    connectionsPerMember: 20,
    zipfS: 1,
    premiumShare: 0.2,
    visibility: { full: 0.6, characteristics: 0.3, private: 0.1 },
  };
}

/** Member ids sort as strings in the same order as their index, so bulk inserts follow the primary key. */
export function memberId(index: number): string {
  return `m${String(index).padStart(7, '0')}`;
}

export const CELEBRITY_INDEX = 0;
export const celebrityId = () => memberId(CELEBRITY_INDEX);

/**
 * Owners other than the celebrity by Zipf rank: rank r is member `ownerByRank[r]`, a seeded
 * shuffle of members 1..n-1 so popularity is not tied to id order.
 */
export class OwnerLaw {
  readonly zipf: Zipf;
  readonly ownerByRank: Uint32Array;

  constructor(readonly shape: DatasetShape) {
    this.zipf = new Zipf(shape.members - 1, shape.zipfS);
    const perm = permutation(shape.members - 1, new Rng(shape.seed, 'owner-ranks'));
    for (let i = 0; i < perm.length; i++) perm[i]! += 1;
    this.ownerByRank = perm;
  }

  /** A Zipf-distributed owner (never the celebrity). */
  sample(rng: Rng): number {
    return this.ownerByRank[this.zipf.sample(rng)]!;
  }
}

/** Stable identity of a dataset: reuse only when every part of it matches. */
export function datasetKey(shape: DatasetShape, store: string, schemaVersion: number): string {
  return `${store}-${shape.scale}-seed${shape.seed}-schema${schemaVersion}-gen${GENERATOR_VERSION}`;
}
