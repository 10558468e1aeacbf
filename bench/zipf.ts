/**
 * Zipf sampler over ranks 0..n-1: P(rank k) proportional to 1/(k+1)^s. The cumulative
 * weights are computed once (8 bytes per rank) and each draw is a binary search, so a
 * million ranks cost 8 MB and about 20 comparisons per draw.
 */
import type { Rng } from './rng.js';

export class Zipf {
  private cdf: Float64Array;

  constructor(
    readonly n: number,
    readonly s: number,
  ) {
    this.cdf = new Float64Array(n);
    let sum = 0;
    for (let k = 0; k < n; k++) {
      sum += 1 / Math.pow(k + 1, s);
      this.cdf[k] = sum;
    }
    for (let k = 0; k < n; k++) this.cdf[k]! /= sum;
  }

  /** Probability of rank k. */
  p(k: number): number {
    return this.cdf[k]! - (k > 0 ? this.cdf[k - 1]! : 0);
  }

  sample(rng: Rng): number {
    const u = rng.float();
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
