/** The outbox projection's name: its checkpoints are stored under it (`profile-visitors rebuild webhooks`). */
export const OUTBOX_PROJECTION = 'webhooks';
/** The member events' projection of the member-change log: its checkpoints are stored under this name. */
export const MEMBER_EVENTS_PROJECTION = 'webhooks.members';
