/**
 * Connection degree of each viewer as seen by an owner: 1st (connected), 2nd (a shared
 * connection), 3rd (a path of three), 3rd+ otherwise. Stores only answer "who are the
 * neighbours of these members"; the search lives here, once for every backend.
 *
 * The 3rd degree meets in the middle: a path owner-a-b-viewer exists when some neighbour b of
 * the viewer is a neighbour of some neighbour a of the owner. Whichever side is smaller is
 * expanded one more hop, so the cost is about min(|N(owner)|, |N(viewers)|) x average degree
 * rows, whatever the size of the graph.
 */
import type { ConnectionStore } from '../store.js';
import type { Degree } from '../types.js';

type Neighbors = Pick<ConnectionStore, 'neighbors'>;

/**
 * Looks `depth` hops out (1 to 3): viewers not found within the depth get `3rd+` when depth is
 * 3, and are left out otherwise. The owner is never given a degree.
 */
export async function connectionDegrees(
  store: Neighbors,
  workspaceId: string,
  ownerId: string,
  viewerIds: readonly string[],
  depth: 1 | 2 | 3 = 3,
): Promise<Map<string, Degree>> {
  const out = new Map<string, Degree>();
  let rest = [...new Set(viewerIds)].filter((id) => id !== ownerId);
  if (rest.length === 0) return out;

  // The owner's list and the viewers' in one call: on a database server that is a round trip
  // less, and the viewers' lists are needed unless the owner has no connections at all.
  const around = await store.neighbors(workspaceId, depth >= 2 ? [ownerId, ...rest] : [ownerId]);
  const first = new Set(around.get(ownerId) ?? []);
  const settle = (degree: Degree, test: (id: string) => boolean) => {
    for (const id of rest) if (test(id)) out.set(id, degree);
    rest = rest.filter((id) => !out.has(id));
  };
  settle('1st', (id) => first.has(id));

  if (depth >= 2 && rest.length > 0 && first.size > 0) {
    const near = (id: string) => around.get(id) ?? [];
    settle('2nd', (id) => near(id).some((n) => first.has(n)));

    if (depth === 3 && rest.length > 0) {
      // The viewers' side would read one list per distinct neighbour of theirs; the sum of
      // their list lengths bounds that count without building the set (a few hundred ids a
      // page), which is needed only if that side is expanded.
      let middleAtMost = 0;
      for (const id of rest) middleAtMost += near(id).length;
      if (first.size <= middleAtMost) {
        // Expand the owner's side: everyone two hops from the owner.
        const twoHops = new Set<string>();
        for (const list of (await store.neighbors(workspaceId, [...first])).values()) for (const id of list) twoHops.add(id);
        settle('3rd', (id) => near(id).some((n) => twoHops.has(n)));
      } else {
        // Expand the viewers' side: a neighbour of a neighbour of the viewer is the owner's.
        const middle = new Set(rest.flatMap(near));
        middle.delete(ownerId);
        const far = await store.neighbors(workspaceId, [...middle]);
        settle('3rd', (id) => near(id).some((b) => (far.get(b) ?? []).some((a) => first.has(a))));
      }
    }
  }
  if (depth === 3) for (const id of rest) out.set(id, '3rd+');
  return out;
}
