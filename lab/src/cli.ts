// `npm start`: the lab on a terminal. Prints where everything is, then runs until Ctrl+C.
import { describeStartFailure } from '../../services/src/platform/index.ts';
import { startLab } from './lab.ts';

try {
  const lab = await startLab({ handleSignals: true });
  const lines = [
    '',
    'Lab ready',
    `  Salesforce  ${lab.salesforceUrl}${lab.emulated ? ' (org emulator, see docs/salesforce-emulator.md)' : ''}`,
    `  Pub/Sub     ${lab.pubsubEndpoint}`,
    `  SAP         ${lab.sapUrl}${lab.sapSimulated ? ' (SAP simulator, npm run sim:sap -- --help)' : ''}`,
    `  SecurePay   ${lab.securePayUrl}${lab.securePaySimulated ? ' (SecurePay simulator, npm run sim:securepay -- --help)' : ''}`,
    '  Running     account-sync (Account_Sync__e -> SAP, docs/account-sync.md)',
    '              payments (POST/GET /payments -> SecurePay, docs/payments.md)',
    `  Services    ${lab.servicesUrl}  (GET /healthz /readyz /metrics /openapi.json)`,
    ...(lab.serviceToken
      ? [`              bearer token ${lab.serviceToken} (set SERVICE_API_TOKENS to choose one)`]
      : []),
    `  Control     /__emulator/* and /__sim/* on loopback, Authorization: Bearer ${lab.driverSecret}`,
    'Ctrl+C stops everything.',
    ''
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
} catch (error) {
  const busy = error instanceof Error && error.message.includes('EADDRINUSE');
  const hint = busy
    ? ' - another lab or a simulator (`npm run sim:salesforce`, `sim:sap`, `sim:securepay`) may be running; stop it, or point the lab at it with SF_INSTANCE_URL / SAP_BASE_URL / SECUREPAY_BASE_URL and credentials (docs/services-platform.md)'
    : '';
  process.stderr.write(`${describeStartFailure('npm start: the lab', error, hint)}\n`);
  process.exit(1);
}
