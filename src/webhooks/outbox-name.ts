/** The outbox projection's name: its checkpoints are stored under it (`profile-visitors rebuild webhooks`). */
export const OUTBOX_PROJECTION = 'webhooks';
