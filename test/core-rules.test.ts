import { describe, expect, it } from 'vitest';
import {
  DAY_MS,
  DEFAULT_SETTINGS,
  appearanceFor,
  assertMaySeeViewers,
  characteristicsLabel,
  creditsFor,
  viewedAgo,
} from '../src/core/index.js';

const NOW = Date.UTC(2026, 10, 1, 12);
const MIN = 60_000;
const HOUR = 60 * MIN;

describe('relative viewedAt text, at each unit boundary', () => {
  it.each([
    [0, 'Viewed just now'],
    [MIN - 1, 'Viewed just now'],
    [MIN, 'Viewed 1m ago'],
    [47 * MIN, 'Viewed 47m ago'],
    [HOUR - 1, 'Viewed 59m ago'],
    [HOUR, 'Viewed 1h ago'],
    [3 * HOUR, 'Viewed 3h ago'],
    [DAY_MS - 1, 'Viewed 23h ago'],
    [DAY_MS, 'Viewed 1d ago'],
    [7 * DAY_MS - 1, 'Viewed 6d ago'],
    [7 * DAY_MS, 'Viewed 1w ago'],
    [30 * DAY_MS, 'Viewed 4w ago'],
    [35 * DAY_MS, 'Viewed 5w ago'],
    [42 * DAY_MS - 1, 'Viewed 5w ago'],
    [42 * DAY_MS, 'Viewed 1mo ago'],
    [4 * 30 * DAY_MS, 'Viewed 4mo ago'],
    [365 * DAY_MS - 1, 'Viewed 12mo ago'],
    [365 * DAY_MS, 'Viewed 1y ago'],
    [800 * DAY_MS, 'Viewed 2y ago'],
  ])('%i ms ago reads "%s"', (age, text) => {
    expect(viewedAgo(NOW - age, NOW)).toBe(text);
  });

  it('reads a view dated slightly ahead of the clock as just now', () => {
    expect(viewedAgo(NOW + 2 * MIN, NOW)).toBe('Viewed just now');
  });

  it.each([
    [0, 'Viewed within the hour'],
    [47 * MIN, 'Viewed within the hour'],
    [60 * MIN, 'Viewed 1h ago'],
    [3 * 60 * MIN + 59 * MIN, 'Viewed 3h ago'],
    [2 * DAY_MS, 'Viewed 2d ago'],
  ])('for a hidden entry, %i ms ago reads "%s": never minutes', (age, text) => {
    expect(viewedAgo(NOW - age, NOW, 'hour')).toBe(text);
  });
});

describe('what an owner sees of a viewer', () => {
  const free = { plan: 'free' as const };
  const premium = { plan: 'premium' as const };

  it('shows a free owner the first N viewers as they chose, and blurs full viewers beyond', () => {
    expect(appearanceFor('full', free, 4, DEFAULT_SETTINGS)).toEqual({ appearance: 'full', blurred: false });
    expect(appearanceFor('full', free, 5, DEFAULT_SETTINGS)).toEqual({ appearance: 'characteristics', blurred: true });
    expect(appearanceFor('private', free, 9, DEFAULT_SETTINGS)).toEqual({ appearance: 'private', blurred: true });
  });

  it('shows a premium owner every viewer as they chose', () => {
    expect(appearanceFor('full', premium, 500, DEFAULT_SETTINGS)).toEqual({ appearance: 'full', blurred: false });
    expect(appearanceFor('characteristics', premium, 0, DEFAULT_SETTINGS)).toEqual({ appearance: 'characteristics', blurred: false });
    expect(appearanceFor('private', premium, 0, DEFAULT_SETTINGS)).toEqual({ appearance: 'private', blurred: false });
  });

  it('follows the workspace setting for the number of free full viewers', () => {
    expect(appearanceFor('full', free, 1, { ...DEFAULT_SETTINGS, freeFullViewers: 1 })).toEqual({ appearance: 'characteristics', blurred: true });
  });

  it('labels characteristics by company, then industry, then location', () => {
    expect(characteristicsLabel({ company: 'Acme', industry: 'Retail', location: 'Paris' })).toBe('Someone at Acme');
    expect(characteristicsLabel({ company: null, industry: 'Retail', location: 'Paris' })).toBe('Someone in Retail');
    expect(characteristicsLabel({ company: null, industry: null, location: 'Paris' })).toBe('Someone in Paris');
    expect(characteristicsLabel({ company: null, industry: null, location: null })).toBe('A member');
  });

  it('refuses a free member in private mode their viewers (reciprocity), and no one else', () => {
    expect(() => assertMaySeeViewers({ plan: 'free', visibility: 'private' })).toThrow(/premium/);
    expect(() => assertMaySeeViewers({ plan: 'premium', visibility: 'private' })).not.toThrow();
    expect(() => assertMaySeeViewers({ plan: 'free', visibility: 'characteristics' })).not.toThrow();
  });
});

describe('credit cost', () => {
  it.each([
    [0, 0],
    [1, 1],
    [10, 1],
    [11, 2],
    [100, 10],
  ])('%i viewers cost %i credits', (n, cost) => {
    expect(creditsFor(n)).toBe(cost);
  });
});
