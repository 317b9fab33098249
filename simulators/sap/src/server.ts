/**
 * Starts the SAP S/4HANA Business Partner simulator (`API_BUSINESS_PARTNER`, OData V2) and
 * returns what a client needs: the base URL (`SAP_BASE_URL`), the service URL, the control
 * API and `close()`. The HTTP control API (`/__sim/*`) answers loopback clients only and, with
 * `driverSecret`, only requests with `Authorization: Bearer <driverSecret>`.
 */
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { buildSapApp } from './app.ts';
import type { SapContext } from './context.ts';
import { createControl, type SapSimulatorControl } from './control.ts';
import { CsrfSessions, DEFAULT_CSRF_LIFETIME_MS } from './csrf.ts';
import { SERVICE_PATH } from './entities.ts';
import { DEFAULT_TIMEOUT_HOLD_MS, Faults } from '../../../toolkit/src/faults.ts';
import { validateDriverSecret } from '../../../toolkit/src/loopback.ts';
import { listeningUrl } from '../../../toolkit/src/listening-url.ts';
import { RequestLog } from './request-log.ts';
import { BusinessPartnerStore } from './store.ts';

export const DEFAULT_SAP_PORT = 8782;
export const DEFAULT_SAP_HOST = '127.0.0.1';
export const DEFAULT_SAP_USERNAME = 'ESB_SYNC';
export const DEFAULT_SAP_PASSWORD = 'sap-simulator-secret';

export interface SapSimulatorOptions {
  /** 0 picks a free port (tests); default 8782. */
  port?: number;
  host?: string;
  /** Latency added before every SAP answer (not the control API). */
  latencyMs?: number;
  username?: string;
  password?: string;
  /** CSRF token / security session lifetime (default 30 minutes). */
  csrfTokenLifetimeMs?: number;
  /** How long a 'timeout' failure holds the request before answering 504 (default 60 s). */
  timeoutHoldMs?: number;
  /** Seed of the failure-rate generator (default 1). */
  failureSeed?: number;
  /**
   * Guard the HTTP control API (`/__sim/*`) with `Authorization: Bearer <driverSecret>`
   * (1-1024 visible ASCII characters). Set or not, it answers loopback clients only.
   */
  driverSecret?: string;
  logger?: FastifyServerOptions['logger'];
}

export interface RunningSapSimulator {
  /** `http://127.0.0.1:8782`: SAP_BASE_URL. */
  url: string;
  /** `${url}/sap/opu/odata/sap/API_BUSINESS_PARTNER`. */
  serviceUrl: string;
  username: string;
  password: string;
  /** The secret `/__sim/*` requires (`Authorization: Bearer <driverSecret>`), if any. */
  driverSecret: string | undefined;
  /** The control API in process (no secret needed). */
  control: SapSimulatorControl;
  app: FastifyInstance;
  close(): Promise<void>;
}

export async function startSapSimulator(
  options: SapSimulatorOptions = {}
): Promise<RunningSapSimulator> {
  const host = options.host ?? DEFAULT_SAP_HOST;
  const username = options.username ?? DEFAULT_SAP_USERNAME;
  const password = options.password ?? DEFAULT_SAP_PASSWORD;
  const driverSecret = validateDriverSecret(options.driverSecret);
  const ctx: SapContext = {
    credentials: { username, password },
    store: new BusinessPartnerStore(),
    csrf: new CsrfSessions(options.csrfTokenLifetimeMs ?? DEFAULT_CSRF_LIFETIME_MS),
    faults: new Faults(
      options.latencyMs ?? 0,
      options.failureSeed ?? 1,
      options.timeoutHoldMs ?? DEFAULT_TIMEOUT_HOLD_MS
    ),
    requests: new RequestLog()
  };
  let url = '';
  const control = createControl(ctx, () => `${url}${SERVICE_PATH}`);
  const app = await buildSapApp(ctx, control, {
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    ...(driverSecret !== undefined ? { driverSecret } : {})
  });
  await app.listen({ host, port: options.port ?? DEFAULT_SAP_PORT });
  url = listeningUrl(app.server, host);

  let closed: Promise<void> | undefined;
  return {
    url,
    serviceUrl: `${url}${SERVICE_PATH}`,
    username,
    password,
    driverSecret,
    control,
    app,
    close() {
      closed ??= (async () => {
        // Held ('timeout') and delayed requests end first, so closing never waits for them.
        ctx.faults.release();
        await app.close();
      })();
      return closed;
    }
  };
}
