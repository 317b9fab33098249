/**
 * `npm run sim:salesforce`: runs the org emulator standalone for the lab and for connecting by
 * hand. Prints one line with what a client needs and one with the test driver's secret (random
 * unless `--driver-secret` chooses it), then logs requests (on stderr):
 *
 *   SF_INSTANCE_URL=http://127.0.0.1:8780 SF_ACCESS_TOKEN=00D...!AQ... SF_PUBSUB_ENDPOINT=127.0.0.1:8781
 *   SF_DRIVER_SECRET=3f9c...
 *
 * Stops cleanly on SIGINT/SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  numberInRange,
  stringValue,
  UsageError,
  type CommandSpec,
  type ParsedValues
} from '../../../toolkit/src/cli/args.ts';
import { runMain } from '../../../toolkit/src/cli/main.ts';
import { portValue, runServerCommand, type ServerLaunch } from '../../../toolkit/src/cli/serve.ts';
import { driverSecretFromFlag } from '../../../toolkit/src/loopback.ts';
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_GRPC_PORT,
  DEFAULT_HOST,
  DEFAULT_HTTP_PORT,
  startSalesforceEmulator,
  type RunningEmulator,
  type StartEmulatorOptions
} from './emulator.ts';
import { requestLogger } from './http/log-redaction.ts';
import type { EmulatorConfig } from './model.ts';

const PROJECT_ROOT = resolve(import.meta.dirname, '../../..');

export const CLI_SPEC: CommandSpec = {
  usage: 'npm run sim:salesforce --',
  summary:
    'Starts the Salesforce org emulator: REST API, Bulk API 2.0, OAuth 2.0 and the test driver over ' +
    'HTTP, the Pub/Sub API over gRPC+TLS. Its schema comes from the project force-app metadata. ' +
    'Prints SF_INSTANCE_URL, SF_ACCESS_TOKEN (an integration user token) and SF_PUBSUB_ENDPOINT on ' +
    'one line, SF_DRIVER_SECRET (the test driver secret) on the next, then logs requests on stderr.',
  options: {
    port: {
      type: 'string',
      valueName: 'port',
      description: 'HTTP port.',
      defaultText: String(DEFAULT_HTTP_PORT)
    },
    'grpc-port': {
      type: 'string',
      valueName: 'port',
      description: 'Pub/Sub API (gRPC, TLS) port.',
      defaultText: String(DEFAULT_GRPC_PORT)
    },
    host: {
      type: 'string',
      valueName: 'address',
      description: 'Interface to listen on.',
      defaultText: DEFAULT_HOST
    },
    'max-file-mb': {
      type: 'string',
      valueName: 'MB',
      description:
        'Largest file one multipart upload may carry (Salesforce allows 2048 for ContentVersion).',
      defaultText: '100'
    },
    'public-host': {
      type: 'string',
      valueName: 'names',
      description:
        'Comma-separated names clients reach the emulator by besides loopback and --host (e.g. a ' +
        'LAN name with --host 0.0.0.0); other Host headers are refused (421, DNS rebinding).'
    },
    'oauth-callback': {
      type: 'string',
      valueName: 'urls',
      description:
        'Comma-separated callback URLs the web-server flow may redirect to (redirect_uri).',
      defaultText: 'http://localhost:1717/OauthRedirect'
    },
    'oauth-login-users': {
      type: 'string',
      valueName: 'usernames',
      description: 'Comma-separated users who may approve the web-server flow (login_hint).',
      defaultText: 'integration@emulator.local'
    },
    'oauth-pkce-only': {
      type: 'boolean',
      description:
        'Code (with a PKCE challenge) and refresh grants need no client secret (a real app ' +
        'requires it: "Require Secret for Web Server/Refresh Token Flow").'
    },
    project: {
      type: 'string',
      valueName: 'dir',
      description: 'SFDX project whose metadata defines the schema.',
      defaultText: 'the repository root'
    },
    persist: {
      type: 'string',
      valueName: 'file',
      description: 'Keep stored records in this JSON file across restarts.'
    },
    'retention-hours': {
      type: 'string',
      valueName: 'hours',
      description: 'Platform event retention.',
      defaultText: '72'
    },
    'token-hours': {
      type: 'string',
      valueName: 'hours',
      description: 'Access token lifetime.',
      defaultText: '2'
    },
    'client-id': {
      type: 'string',
      valueName: 'id',
      description: 'Connected app consumer key the token endpoint accepts.',
      defaultText: DEFAULT_CLIENT_ID
    },
    'client-secret': {
      type: 'string',
      valueName: 'secret',
      description: 'Connected app consumer secret.',
      defaultText: DEFAULT_CLIENT_SECRET
    },
    'jwt-cert': {
      type: 'string',
      valueName: 'file',
      description:
        'PEM certificate JWT bearer assertions must be signed for (enables the JWT flow).'
    },
    tls: {
      type: 'boolean',
      description:
        'Serve REST, Bulk, OAuth and the test driver over HTTPS with a self-signed certificate; ' +
        'trust the SF_CA_FILE it prints (NODE_EXTRA_CA_CERTS=<file> for Node clients).'
    },
    'driver-secret': {
      type: 'string',
      valueName: 'secret',
      description:
        'Secret the test driver (/__emulator/*) requires as Authorization: Bearer <secret>.',
      defaultText: 'a random one, printed'
    }
  },
  examples: [
    'npm run sim:salesforce',
    'npm run sim:salesforce -- --port 9780 --grpc-port 9781 --persist .sf-emulator.json',
    'npm run sim:salesforce -- --tls   # then NODE_EXTRA_CA_CERTS=<SF_CA_FILE> for Node clients'
  ],
  notes: [
    'Test driver (no Salesforce auth; loopback clients only, with Authorization: Bearer ' +
      '<SF_DRIVER_SECRET>): POST /__emulator/reset, /__emulator/records/<Object>, ' +
      '/__emulator/datasets/<Object>, /__emulator/clock/advance, /__emulator/sessions, ' +
      '/__emulator/sessions/expire; GET /__emulator/state, /__emulator/api-calls.'
  ]
};

function readPem(file: string): string {
  try {
    return readFileSync(resolve(file), 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read --jwt-cert ${file}: ${(error as Error).message}`);
  }
}

/** The emulator the flags describe (defaults where a flag is absent). */
function launch(values: ParsedValues): ServerLaunch<RunningEmulator> {
  const httpPort = portValue(values, 'port', DEFAULT_HTTP_PORT);
  const grpcPort = portValue(values, 'grpc-port', DEFAULT_GRPC_PORT);
  const retentionHours = numberInRange(
    'retention-hours',
    stringValue(values, 'retention-hours') ?? '72',
    0.001,
    24 * 365
  );
  const tokenHours = numberInRange(
    'token-hours',
    stringValue(values, 'token-hours') ?? '2',
    0.001,
    24 * 365
  );
  const persist = stringValue(values, 'persist');
  const jwtCert = stringValue(values, 'jwt-cert');
  const driverSecret = driverSecretFromFlag(stringValue(values, 'driver-secret'));

  const list = (name: string): string[] | undefined => {
    const value = stringValue(values, name);
    if (value === undefined) return undefined;
    const items = value.split(',').map((item) => item.trim());
    if (items.some((item) => item === '')) throw new UsageError(`--${name}: empty entry`);
    return items;
  };
  const callbacks = list('oauth-callback');
  const loginUsers = list('oauth-login-users');
  const publicHosts = list('public-host');
  const config: Partial<EmulatorConfig> = {
    ...(callbacks ? { oauthCallbackUrls: callbacks } : {}),
    ...(loginUsers ? { oauthLoginUsers: loginUsers } : {}),
    ...(values['oauth-pkce-only'] === true ? { oauthPkceOnly: true } : {}),
    eventRetentionMs: Math.round(retentionHours * 3_600_000),
    accessTokenLifetimeMs: Math.round(tokenHours * 3_600_000),
    clientId: stringValue(values, 'client-id') ?? DEFAULT_CLIENT_ID,
    clientSecret: stringValue(values, 'client-secret') ?? DEFAULT_CLIENT_SECRET,
    ...(persist ? { persistPath: resolve(persist) } : {}),
    ...(jwtCert ? { jwtCertificatePem: readPem(jwtCert) } : {})
  };
  const maxFileMb = numberInRange(
    'max-file-mb',
    stringValue(values, 'max-file-mb') ?? '100',
    0.001,
    2048
  );
  const options: StartEmulatorOptions = {
    files: { maxBytes: Math.round(maxFileMb * 1024 * 1024) },
    projectDir: resolve(stringValue(values, 'project') ?? PROJECT_ROOT),
    host: stringValue(values, 'host') ?? DEFAULT_HOST,
    ...(publicHosts ? { publicHosts } : {}),
    httpPort,
    grpcPort,
    config,
    logger: requestLogger(process.stderr),
    driverSecret,
    tls: values.tls === true
  };
  return {
    portFlags: ['port', 'grpc-port'],
    start: () => startSalesforceEmulator(options),
    announce: (emulator) => [
      `SF_INSTANCE_URL=${emulator.instanceUrl} SF_ACCESS_TOKEN=${emulator.accessToken} SF_PUBSUB_ENDPOINT=${emulator.pubsubEndpoint}`,
      `SF_DRIVER_SECRET=${driverSecret}`,
      // The certificate HTTPS (--tls) and Pub/Sub serve, for clients that verify it.
      `SF_CA_FILE=${emulator.caFile}`
    ]
  };
}

await runMain((argv) => runServerCommand(CLI_SPEC, argv, launch));
