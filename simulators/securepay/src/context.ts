/** The simulator's shared state, handed to the route plugins and to the control API. */
import type { Faults } from '../../../toolkit/src/faults.ts';
import type { AfterChargeFailures, GatewayStore, RequestCounter } from './store.ts';

export interface SecurePayContext {
  clientId: string;
  clientSecret: string;
  merchantCode: string;
  store: GatewayStore;
  /** Latency, failure rules and held answers: the toolkit's generic fault injection. */
  faults: Faults;
  requests: RequestCounter;
  /** Charges applied, then answered with a 5xx. */
  afterCharge: AfterChargeFailures;
}

/** What each route plugin is registered with. */
export interface RouteOptions {
  ctx: SecurePayContext;
}
