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
    `  Services    ${lab.servicesUrl}  (GET /healthz /readyz /metrics)`,
    ...(lab.serviceToken
      ? [`              bearer token ${lab.serviceToken} (set SERVICE_API_TOKENS to choose one)`]
      : []),
    'Ctrl+C stops everything.',
    ''
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
} catch (error) {
  // A busy port or an unreachable database is the operator's to fix: say what, not where.
  const message = error instanceof Error ? error.message : String(error);
  const hint = message.includes('EADDRINUSE')
    ? ' - another lab or a simulator (`npm run sim:salesforce`, `sim:sap`, `sim:securepay`) may be running; stop it, or point the lab at it with SF_INSTANCE_URL / SAP_BASE_URL / SECUREPAY_BASE_URL and credentials (docs/services-platform.md)'
    : '';
  process.stderr.write(`npm start: the lab could not start: ${message}${hint}\n`);
  process.exit(1);
}
