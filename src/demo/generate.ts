/**
 * A realistic demo workspace from a seeded generator: members with names, headlines,
 * companies, industries and locations; a connection graph; visits spread over the last year.
 * Writes go through the core's use cases, so the demo obeys the same rules as real traffic.
 */
import { Faker, en } from '@faker-js/faker';
import {
  DAY_MS,
  VISIT_SOURCES,
  recordVisits,
  type CoreDeps,
  type MemberInput,
  type Visibility,
  type Workspace,
} from '../core/index.js';

export interface DemoOptions {
  members: number;
  visits: number;
  connectionsPerMember: number;
  seed: number;
  onProgress?: (done: number, total: number) => void;
}

export interface DemoData {
  memberIds: string[];
  /** A free member and a premium member who both have visitors, for the printed examples. */
  freeMember: string;
  premiumMember: string;
}

const INDUSTRIES = [
  'Software Development', 'Financial Services', 'Hospital & Health Care', 'Marketing & Advertising', 'Higher Education',
  'Retail', 'Design', 'Telecommunications', 'Renewable Energy', 'Logistics', 'Biotechnology', 'Media Production',
];

export async function generateDemo(deps: CoreDeps, workspace: Workspace, opts: DemoOptions): Promise<DemoData> {
  const faker = new Faker({ locale: [en] });
  faker.seed(opts.seed);
  const now = deps.clock.now();
  const companies = Array.from({ length: Math.max(10, Math.round(opts.members / 12)) }, () => faker.company.name());
  const members: MemberInput[] = [];
  for (let i = 0; i < opts.members; i++) {
    const first = faker.person.firstName();
    const last = faker.person.lastName();
    const slug = `${first}-${last}-${faker.string.alphanumeric(6)}`.toLowerCase().replace(/[^a-z0-9-]/g, '');
    const r = faker.number.float();
    const visibility: Visibility = r < 0.6 ? 'full' : r < 0.9 ? 'characteristics' : 'private';
    const headline = faker.person.jobTitle();
    members.push({
      id: `m${String(i + 1).padStart(5, '0')}`,
      name: `${first} ${last}`,
      headline,
      // The job title is the headline's last word ("Senior Web Engineer" -> "Engineer"): a couple
      // of dozen titles, so that insights' title breakdown has buckets of 3 viewers or more.
      // Taken from the headline, not drawn, so every later draw of the seed is unchanged.
      title: headline.split(' ').at(-1) ?? null,
      imageUrl: `https://i.pravatar.cc/200?u=${slug}`,
      company: faker.helpers.arrayElement(companies),
      industry: faker.helpers.arrayElement(INDUSTRIES),
      location: `${faker.location.city()}, ${faker.location.country()}`,
      publicIdentifier: slug,
      profileUrl: `https://community.example.com/in/${slug}`,
      plan: faker.number.float() < 0.25 ? 'premium' : 'free',
      visibility,
    });
  }
  // The two showcase members browse publicly so that their examples show real data.
  members[0]!.plan = 'free';
  members[0]!.visibility = 'full';
  members[1]!.plan = 'premium';
  members[1]!.visibility = 'full';
  await deps.store.members.upsert(workspace.id, members, 'replace', now);
  const ids = members.map((m) => m.id);

  for (const id of ids) {
    for (let k = 0; k < opts.connectionsPerMember / 2; k++) {
      const other = faker.helpers.arrayElement(ids);
      if (other !== id) await deps.store.connections.add(workspace.id, id, other, now);
    }
  }

  // Popularity follows a power law, so a few profiles get many visits, as on real networks.
  const weight = ids.map((_, i) => 1 / Math.pow(i + 1, 0.8));
  const totalWeight = weight.reduce((a, b) => a + b, 0);
  const pickOwner = () => {
    let r = faker.number.float() * totalWeight;
    for (let i = 0; i < ids.length; i++) if ((r -= weight[i]!) <= 0) return ids[i]!;
    return ids[ids.length - 1]!;
  };
  const batch = 500;
  for (let done = 0; done < opts.visits; done += batch) {
    const visits = [];
    for (let k = 0; k < Math.min(batch, opts.visits - done); k++) {
      const profileId = k % 10 === 0 ? faker.helpers.arrayElement(ids.slice(0, 2)) : pickOwner();
      let viewerId = faker.helpers.arrayElement(ids);
      if (viewerId === profileId) viewerId = ids[(ids.indexOf(viewerId) + 1) % ids.length]!;
      // Recent days are busier: an exponential age, capped at a year.
      const age = Math.min(364 * DAY_MS, Math.floor(-Math.log(1 - faker.number.float()) * 60 * DAY_MS));
      visits.push({ profileId, viewerId, viewedAt: now - age, source: faker.helpers.arrayElement(VISIT_SOURCES) });
    }
    await recordVisits(deps, workspace, visits);
    opts.onProgress?.(Math.min(done + batch, opts.visits), opts.visits);
  }
  return { memberIds: ids, freeMember: ids[0]!, premiumMember: ids[1]! };
}
