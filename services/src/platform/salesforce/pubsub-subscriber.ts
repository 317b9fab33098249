// The Pub/Sub subscriber lives in pubsub/ (guarantees in pubsub/index.ts); this path stays for
// existing importers and exports what it always did.
export {
  DurablePubSubSubscriber,
  isReplayIdRejection,
  PUBSUB_ERROR_CODES,
  pubSubCredentialsFrom
} from './pubsub/index.ts';
export type {
  CredentialsSource,
  DurablePubSubSubscriberOptions,
  PubSubCredentials,
  PubSubEvent,
  ReplayGap,
  ReplayStart,
  SubscriberHealth,
  SubscriberState
} from './pubsub/index.ts';
