/**
 * Run as its own process by tls.test.ts with NODE_EXTRA_CA_CERTS pointing at the emulator's CA
 * file (Node reads it only at start, which is how a real deployment trusts a private CA).
 * Logs in over HTTPS with client credentials through jsforce and through the official Pub/Sub
 * client (which also refuses any instance URL that is not https://), then prints one JSON line.
 */
import jsforce from 'jsforce';
import PubSubApiClient from 'salesforce-pubsub-api-client';

const instanceUrl = process.env.SF_INSTANCE_URL ?? '';
const pubSubEndpoint = process.env.SF_PUBSUB_ENDPOINT ?? '';
const clientId = process.env.SF_CLIENT_ID ?? '';
const clientSecret = process.env.SF_CLIENT_SECRET ?? '';

const conn = new jsforce.Connection({
  oauth2: { loginUrl: instanceUrl, clientId, clientSecret },
  version: '65.0'
});
await conn.authorize({ grant_type: 'client_credentials' });
const organization = await conn.query<{ Name: string }>('SELECT Name FROM Organization');

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const client = new PubSubApiClient(
  {
    authType: 'oauth-client-credentials',
    loginUrl: instanceUrl,
    clientId,
    clientSecret,
    pubSubEndpoint,
    // gRPC pins the client's bundled Salesforce root; the emulator's certificate is not in it.
    rejectUnauthorizedSsl: false
  },
  quiet
);
await client.connect();
// A topic the client-credentials user (the integration user, exactly Integration_Service_User)
// may publish to.
const published = await client.publish('/event/Integration_Log_Event__e', {
  CreatedDate: Date.now(),
  CreatedById: ''
});
client.close();

console.log(
  JSON.stringify({
    jsforceInstanceUrl: conn.instanceUrl,
    organizationName: organization.records[0]?.Name,
    published: published.replayId !== undefined
  })
);
