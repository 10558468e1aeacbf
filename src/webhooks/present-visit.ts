import type { VisitNotification } from '../core/index.js';

/** `data` of profile.visited (and of the live feed's events). */
export function presentVisit(n: VisitNotification) {
  return {
    profileId: n.profileId,
    visitId: n.visitId,
    position: n.position,
    viewedAt: n.viewedAt,
    source: n.source,
    viewCount: n.viewCount,
    viewer: n.viewer && {
      appearance: n.viewer.appearance,
      blurred: n.viewer.blurred,
      label: n.viewer.label,
      profile: n.viewer.identity,
      traits: n.viewer.traits,
    },
  };
}
