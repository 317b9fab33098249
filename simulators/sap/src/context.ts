/** The simulator's shared state, handed to the route plugins and to the control API. */
import type { Credentials } from './auth.ts';
import type { CsrfSessions } from './csrf.ts';
import type { Faults } from '../../../toolkit/src/faults.ts';
import type { RequestLog } from './request-log.ts';
import type { BusinessPartnerStore } from './store.ts';

export interface SapContext {
  credentials: Credentials;
  store: BusinessPartnerStore;
  csrf: CsrfSessions;
  faults: Faults;
  requests: RequestLog;
}
