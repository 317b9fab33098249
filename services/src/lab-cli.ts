import { startLab } from './lab.ts';

const lab = await startLab({ handleSignals: true });
const lines = [
  '',
  'Lab ready',
  `  Salesforce  ${lab.salesforceUrl}${lab.emulated ? ' (org emulator, see docs/salesforce-emulator.md)' : ''}`,
  `  Pub/Sub     ${lab.pubsubEndpoint}`,
  `  Services    ${lab.servicesUrl}  (GET /healthz /readyz /metrics)`,
  'Ctrl+C stops everything.',
  ''
];
process.stderr.write(`${lines.join('\n')}\n`);
