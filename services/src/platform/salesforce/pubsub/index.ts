// A durable Salesforce Pub/Sub API subscriber built on salesforce-pubsub-api-client.
//
// Guarantees and where they are kept:
//  * At-least-once, nothing skipped. The replay id of an event is written to the ReplayStore
//    only after the handler succeeded for it and for every event delivered before it; on start
//    (and on every reconnect) the subscription resumes with preset CUSTOM after the stored id.
//    A crash replays what was processed but not yet committed: handlers must be idempotent.
//    (replay-position.ts)
//  * Flow control. Events are requested in batches (FetchRequest num_requested); the next batch
//    is requested only after the previous one was processed and committed. (connection.ts)
//  * Reconnects with exponential backoff and jitter (toolkit/src/backoff.ts), on a NEW client
//    each time: re-subscribing on one client silently ignores the new replay position.
//    (supervisor.ts, client.ts)
//  * No crash on late server cancels: the client's close() leaves the gRPC call open, and a
//    later CANCELLED from the server would be an unhandled 'error' event. The subscriber keeps
//    hold of the call (grpc-call-capture.ts), re-attaches a listener after close() and cancels
//    it. Callbacks from an old connection are ignored. (connection.ts)
//  * Replay gaps are reported, never skipped silently. When the stored replay id is rejected
//    (error-code sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted: outside the
//    72 h retention window, or invalidated by a stream reset) `onReplayGap` is awaited, so the
//    application can reconcile, and only then does the subscription resume from EARLIEST (or
//    the configured preset). (supervisor.ts, errors.ts)
//  * Single consumer. With a database, the subscription runs only while this instance holds the
//    PostgreSQL advisory-lock lease `pubsub:<subscriber>:<topic>` (lease.ts); when the holder
//    dies its session ends, the lock is freed and another instance takes over. (supervisor.ts)
//  * Honest readiness. `health()` is not ok after a failed connection attempt until a later
//    connection is accepted by the server, whatever the state says in between. (health.ts)
export { pubSubCredentialsFrom } from './credentials.ts';
export type { CredentialsSource, PubSubCredentials } from './credentials.ts';
export { isReplayIdRejection, PUBSUB_ERROR_CODES } from './errors.ts';
export type { PubSubEvent } from './event.ts';
export type { SubscriberHealth, SubscriberState } from './health.ts';
export type { DurablePubSubSubscriberOptions, ReplayGap } from './options.ts';
export type { ReplayStart } from './replay-position.ts';
export { InMemoryReplayStore, PgReplayStore } from './replay-store.ts';
export type { ReplayStore } from './replay-store.ts';
export { DurablePubSubSubscriber } from './supervisor.ts';
