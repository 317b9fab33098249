// Moved to pubsub/replay-store.ts, with the rest of the Pub/Sub subscriber; this path stays for
// existing importers.
export * from './pubsub/replay-store.ts';
