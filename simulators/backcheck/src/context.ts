/** The simulator's shared state, handed to the route plugins and to the control API. */
import type { Faults } from '../../../toolkit/src/faults.ts';
import type { CallbackSender } from './callbacks.ts';
import type { SimClock } from './clock.ts';
import type { RequestLog } from './request-log.ts';
import type { CheckStore } from './store.ts';

export interface CompletionDelay {
  minMs: number;
  maxMs: number;
}

export interface BackCheckContext {
  /** API key -> where its callbacks go (undefined: not configured yet). */
  clients: Map<string, { callbackUrl: string | undefined }>;
  store: CheckStore;
  clock: SimClock;
  /** Latency and submit failures: the toolkit's generic fault injection. */
  faults: Faults;
  callbacks: CallbackSender;
  requests: RequestLog;
  /** How long a check takes, drawn uniformly per check. */
  completionDelay: CompletionDelay;
  /** For the completion delay; seeded in tests that need repeatable draws. */
  random: () => number;
}

/** What each route plugin is registered with. */
export interface RouteOptions {
  ctx: BackCheckContext;
}
