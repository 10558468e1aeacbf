export { createClient, type ClientOptions, type ProfileVisitorsClient } from './client.js';
export { verifyWebhook, WebhookVerificationError, type WebhookHeaders } from './webhooks.js';
export { openLiveFeed, readEvents, type FeedEvent, type LiveFeedOptions } from './live-feed.js';
export type { paths, components, operations } from './schema.js';
