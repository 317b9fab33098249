import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ComponentSet, MetadataConverter } from '@salesforce/source-deploy-retrieve';
import {
  checkPerEnvironment,
  looksLikeProduction,
  PER_ENV_VARIABLES,
  readReplacements
} from '../lib/per-env.ts';
import { projectRoot } from '../../toolkit/src/project.ts';

const ROOT = projectRoot();

/** A committed metadata file of a slice: force-app/main/<slice>/<relative>. */
const sliceFile = (slice: string, relative: string) =>
  readFile(path.join(ROOT, 'force-app', 'main', slice, relative), 'utf8');

const cspSiteUrl = async (slice: string, name: string) =>
  /<endpointUrl>([^<]+)<\/endpointUrl>/.exec(
    await sliceFile(slice, `cspTrustedSites/${name}.cspTrustedSite-meta.xml`)
  )?.[1];

const namedCredentialUrl = async (slice: string, name: string) =>
  /<parameterValue>(https?:[^<]+)<\/parameterValue>/.exec(
    await sliceFile(slice, `namedCredentials/${name}.namedCredential-meta.xml`)
  )?.[1];

const metadataValue = async (slice: string, record: string, field: string) =>
  new RegExp(`<field>${field}</field>\\s*<value[^>]*>([^<]+)</value>`).exec(
    await sliceFile(slice, `customMetadata/${record}.md-meta.xml`)
  )?.[1];

const GOOD = {
  PAYMENTS_ESB_URL: 'https://esb.mycompany.com',
  SECUREPAY_TOKENIZATION_URL: 'https://payments.auspost.net.au/v2/tokens',
  SECUREPAY_TRUSTED_SITE: 'https://payments.auspost.net.au',
  SECUREPAY_MERCHANT_CODE: 'ACME0001',
  INTEGRATION_ENABLED: 'true',
  PAYMENTS_ENABLED: 'false',
  BACKGROUND_CHECK_ESB_URL: 'https://esb.mycompany.com',
  BACKGROUND_CHECK_ENABLED: 'true',
  ACTIVITY_API_URL: 'https://activity.mycompany.com',
  ACTIVITY_ENABLED: 'true',
  FINANCE_EXPORT_ENABLED: 'true',
  PROPERTY_MEDIA_URL: 'https://media.mycompany.com',
  PROPERTY_MEDIA_STORAGE_SITE: 'https://media-bucket.s3.ap-southeast-2.amazonaws.com',
  PROPERTY_MEDIA_ENABLED: 'true',
  ACTIVITY_CACHE_MB: '1',
  INTEGRATION_LOG_LEVEL: 'WARN'
};

describe('per-environment values (sfdx-project.json replacements)', () => {
  it('the project replaces exactly the documented variables', async () => {
    const replacements = await readReplacements(ROOT);
    assert.deepEqual(
      [...new Set(replacements.map((r) => r.replaceWithEnv))].sort(),
      Object.keys(PER_ENV_VARIABLES).sort()
    );
    // One variable, two entries: the activity service's host is that of both its Named
    // Credentials (REST for the portal, OData for Salesforce Connect), each with its own token.
    assert.deepEqual(
      replacements
        .filter((r) => r.replaceWithEnv === 'ACTIVITY_API_URL')
        .map((r) => r.filename)
        .sort(),
      [
        'force-app-connect/main/activity-connect/namedCredentials/Activity_OData.namedCredential-meta.xml',
        'force-app/main/activity/namedCredentials/Activity_API.namedCredential-meta.xml'
      ]
    );
    assert.ok(
      replacements.every((r) => !r.allowUnsetEnvVariable),
      'an unset variable stops sf'
    );
  });

  it('accepts a complete, consistent production environment', async () => {
    assert.deepEqual(checkPerEnvironment(await readReplacements(ROOT), GOOD, true), []);
  });

  it('names every unset variable and what to set it to', async () => {
    const problems = checkPerEnvironment(await readReplacements(ROOT), {}, false);
    assert.equal(problems.length, 16);
    for (const name of Object.keys(PER_ENV_VARIABLES)) {
      assert.ok(
        problems.some((p) => p.startsWith(`${name} is not set: export ${name}=<`)),
        name
      );
    }
    assert.match(problems.join('\n'), /Payments_ESB\.namedCredential-meta\.xml/);
    assert.match(problems.join('\n'), /Background_Check_ESB\.namedCredential-meta\.xml/);
    assert.match(
      problems.join('\n'),
      /PAYMENTS_ENABLED is not set: .* \(it replaces the Enabled__c value in force-app\/main\/payments\/customMetadata\/Integration_Setting\.Payments\.md-meta\.xml/
    );
  });

  it('refuses custom metadata values their fields do not accept', async () => {
    const replacements = await readReplacements(ROOT);
    const bad = {
      ...GOOD,
      INTEGRATION_ENABLED: 'yes',
      PAYMENTS_ENABLED: 'False',
      BACKGROUND_CHECK_ENABLED: 'on',
      INTEGRATION_LOG_LEVEL: 'VERBOSE',
      SECUREPAY_MERCHANT_CODE: '5AR0055</value>'
    };
    const problems = checkPerEnvironment(replacements, bad, false);
    assert.equal(problems.length, 5, problems.join('\n'));
    assert.match(problems.join('\n'), /BACKGROUND_CHECK_ENABLED=on must be true or false/);
    assert.match(problems.join('\n'), /INTEGRATION_ENABLED=yes must be true or false/);
    assert.match(problems.join('\n'), /PAYMENTS_ENABLED=False must be true or false/);
    assert.match(problems.join('\n'), /INTEGRATION_LOG_LEVEL=VERBOSE must be one of DEBUG, INFO/);
    assert.match(
      problems.join('\n'),
      /SECUREPAY_MERCHANT_CODE=.* must be 1 to 20 letters and digits/
    );
  });

  it('ACTIVITY_CACHE_MB: whole MB (0 for an org without capacity) into the org cache only', async () => {
    const replacements = await readReplacements(ROOT);
    for (const ok of ['0', '1', '10']) {
      assert.deepEqual(
        checkPerEnvironment(replacements, { ...GOOD, ACTIVITY_CACHE_MB: ok }, true),
        []
      );
    }
    for (const bad of ['-1', '1.5', 'lots', '01', '1</allocatedCapacity>']) {
      assert.match(
        checkPerEnvironment(replacements, { ...GOOD, ACTIVITY_CACHE_MB: bad }, false).join('\n'),
        /ACTIVITY_CACHE_MB=.* must be a whole number of MB/,
        bad
      );
    }
    // The replacement, run as sf runs it (every match, global), sets the Organization
    // partition type's capacity and leaves the Session one at 0.
    const entry = replacements.find((r) => r.replaceWithEnv === 'ACTIVITY_CACHE_MB');
    assert.ok(entry?.filename && entry.regexToReplace, 'a regexToReplace on the partition');
    const xml = await readFile(path.join(ROOT, entry.filename), 'utf8');
    const replaced = xml.replace(new RegExp(entry.regexToReplace, 'g'), '7');
    const capacities = [
      ...replaced.matchAll(
        /<allocatedCapacity>(\d+)<\/allocatedCapacity>[\s\S]*?<cacheType>(\w+)<\/cacheType>/g
      )
    ].map((m) => `${m[2]}=${m[1]}`);
    assert.deepEqual(capacities, ['Organization=7', 'Session=0']);
  });

  it("refuses SecurePay's sandbox merchant in production only", async () => {
    const replacements = await readReplacements(ROOT);
    const sandbox = { ...GOOD, SECUREPAY_MERCHANT_CODE: '5AR0055' };
    assert.deepEqual(checkPerEnvironment(replacements, sandbox, false), []);
    assert.match(
      checkPerEnvironment(replacements, sandbox, true).join('\n'),
      /5AR0055 is SecurePay's sandbox test merchant/
    );
  });

  it('refuses a tokenization URL whose origin is not the CSP Trusted Site', async () => {
    const problems = checkPerEnvironment(
      await readReplacements(ROOT),
      { ...GOOD, SECUREPAY_TRUSTED_SITE: 'https://payments-stest.npe.auspost.zone' },
      false
    );
    assert.equal(problems.length, 1);
    assert.match(
      problems[0] ?? '',
      /set SECUREPAY_TRUSTED_SITE=https:\/\/payments\.auspost\.net\.au/
    );
  });

  it('refuses http (mixed content) except a loopback simulator outside production', async () => {
    const replacements = await readReplacements(ROOT);
    const local = {
      ...GOOD,
      SECUREPAY_TOKENIZATION_URL: 'http://127.0.0.1:8783/v2/tokens',
      SECUREPAY_TRUSTED_SITE: 'http://127.0.0.1:8783'
    };
    assert.deepEqual(checkPerEnvironment(replacements, local, false), []);
    assert.match(
      checkPerEnvironment(replacements, local, true).join('\n'),
      /must use https in production/
    );
    const plain = {
      ...GOOD,
      SECUREPAY_TOKENIZATION_URL: 'http://pay.example.com/v2/tokens',
      SECUREPAY_TRUSTED_SITE: 'http://pay.example.com'
    };
    assert.equal(checkPerEnvironment(replacements, plain, false).length, 2);
    assert.match(
      checkPerEnvironment(replacements, { ...GOOD, PAYMENTS_ESB_URL: 'http://esb' }, false)[0] ??
        '',
      /PAYMENTS_ESB_URL=http:\/\/esb must use https/
    );
    // Salesforce calls the background-check ESB from its servers: not even a loopback http URL.
    assert.match(
      checkPerEnvironment(
        replacements,
        { ...GOOD, BACKGROUND_CHECK_ESB_URL: 'http://127.0.0.1:8785' },
        false
      )[0] ?? '',
      /BACKGROUND_CHECK_ESB_URL=http:\/\/127\.0\.0\.1:8785 must use https/
    );
    // The browser talks to the embedded media storage on this machine; Salesforce calls the
    // media service from its servers, so its Named Credential URL is https even on loopback.
    const localMedia = { ...GOOD, PROPERTY_MEDIA_STORAGE_SITE: 'http://127.0.0.1:8787' };
    assert.deepEqual(checkPerEnvironment(replacements, localMedia, false), []);
    assert.match(
      checkPerEnvironment(replacements, localMedia, true).join('\n'),
      /PROPERTY_MEDIA_STORAGE_SITE=http:\/\/127\.0\.0\.1:8787 must use https in production/
    );
    assert.match(
      checkPerEnvironment(
        replacements,
        { ...GOOD, PROPERTY_MEDIA_URL: 'http://127.0.0.1:8787' },
        false
      )[0] ?? '',
      /PROPERTY_MEDIA_URL=http:\/\/127\.0\.0\.1:8787 must use https/
    );
  });

  it('wants the CSP Trusted Site as an origin without a path', async () => {
    const problems = checkPerEnvironment(
      await readReplacements(ROOT),
      {
        ...GOOD,
        SECUREPAY_TRUSTED_SITE: 'https://payments.auspost.net.au/v2',
        PROPERTY_MEDIA_STORAGE_SITE: 'https://media-bucket.s3.amazonaws.com/properties'
      },
      false
    );
    assert.match(problems.join('\n'), /SECUREPAY_TRUSTED_SITE=.* must be an origin only/);
    assert.match(problems.join('\n'), /PROPERTY_MEDIA_STORAGE_SITE=.* must be an origin only/);
  });

  it('the storage origin Apex checks URLs against is the CSP Trusted Site, from the same variable', async () => {
    const site = await cspSiteUrl('property-media', 'PropertyMediaStorage');
    const origin = await metadataValue(
      'property-media',
      'Property_Media_Setting.Default',
      'Storage_Origin__c'
    );
    assert.ok(site);
    assert.equal(origin, site);
    const replacements = await readReplacements(ROOT);
    for (const file of [
      'force-app/main/property-media/cspTrustedSites/PropertyMediaStorage.cspTrustedSite-meta.xml',
      'force-app/main/property-media/customMetadata/Property_Media_Setting.Default.md-meta.xml'
    ]) {
      assert.deepEqual(
        replacements
          .filter((r) => r.filename === file)
          .map((r) => [r.stringToReplace, r.replaceWithEnv]),
        [[site, 'PROPERTY_MEDIA_STORAGE_SITE']],
        file
      );
    }
  });

  it('the committed placeholders are valid sandbox values (tokenization origin = CSP Trusted Site, https)', async () => {
    const site = await cspSiteUrl('payments', 'SecurePay_Tokenization');
    const tokenization = await metadataValue(
      'payments',
      'Payment_Gateway_Setting.Default',
      'Tokenization_Url__c'
    );
    const esb = await namedCredentialUrl('payments', 'Payments_ESB');
    const bgcEsb = await namedCredentialUrl('background-check', 'Background_Check_ESB');
    const activityApi = await namedCredentialUrl('activity', 'Activity_API');
    const mediaService = await namedCredentialUrl('property-media', 'Property_Media');
    const mediaStorage = await cspSiteUrl('property-media', 'PropertyMediaStorage');
    assert.deepEqual(
      checkPerEnvironment(
        await readReplacements(ROOT),
        {
          PAYMENTS_ESB_URL: esb,
          SECUREPAY_TOKENIZATION_URL: tokenization,
          SECUREPAY_TRUSTED_SITE: site,
          SECUREPAY_MERCHANT_CODE: await metadataValue(
            'payments',
            'Payment_Gateway_Setting.Default',
            'Merchant_Code__c'
          ),
          INTEGRATION_ENABLED: await metadataValue(
            'common',
            'Integration_Setting.Default',
            'Enabled__c'
          ),
          PAYMENTS_ENABLED: await metadataValue(
            'payments',
            'Integration_Setting.Payments',
            'Enabled__c'
          ),
          BACKGROUND_CHECK_ESB_URL: bgcEsb,
          BACKGROUND_CHECK_ENABLED: await metadataValue(
            'background-check',
            'Integration_Setting.BackgroundCheck',
            'Enabled__c'
          ),
          ACTIVITY_API_URL: activityApi,
          ACTIVITY_CACHE_MB: '1',
          ACTIVITY_ENABLED: await metadataValue(
            'activity',
            'Integration_Setting.Activity',
            'Enabled__c'
          ),
          FINANCE_EXPORT_ENABLED: await metadataValue(
            'finance',
            'Integration_Setting.FinanceExport',
            'Enabled__c'
          ),
          PROPERTY_MEDIA_URL: mediaService,
          PROPERTY_MEDIA_STORAGE_SITE: mediaStorage,
          PROPERTY_MEDIA_ENABLED: await metadataValue(
            'property-media',
            'Integration_Setting.PropertyMedia',
            'Enabled__c'
          ),
          INTEGRATION_LOG_LEVEL: await metadataValue(
            'common',
            'Integration_Setting.Default',
            'Log_Level__c'
          )
        },
        false
      ),
      []
    );
  });

  it('tells production from scratch orgs and sandboxes', () => {
    assert.equal(looksLikeProduction({ instanceUrl: 'https://acme.my.salesforce.com' }), true);
    assert.equal(
      looksLikeProduction({ instanceUrl: 'https://acme--uat.sandbox.my.salesforce.com' }),
      false
    );
    assert.equal(
      looksLikeProduction({
        instanceUrl: 'https://x.scratch.my.salesforce.com',
        expirationDate: '2026-12-30'
      }),
      false
    );
  });

  it('source-deploy-retrieve refuses to build a deploy while a variable is unset', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'per-env-'));
    const saved = process.env.PAYMENTS_ESB_URL;
    Reflect.deleteProperty(process.env, 'PAYMENTS_ESB_URL');
    process.env.SF_APPLY_REPLACEMENTS_ON_CONVERT = 'true';
    try {
      const components = ComponentSet.fromSource({
        fsPaths: [path.join(ROOT, 'force-app', 'main', 'payments', 'namedCredentials')]
      });
      components.projectDirectory = ROOT;
      await assert.rejects(
        new MetadataConverter().convert(components, 'metadata', {
          type: 'directory',
          outputDirectory: out,
          genUniqueDir: false
        }),
        /"PAYMENTS_ESB_URL" is in sfdx-project\.json as a value for "replaceWithEnv" property, but it's not set/
      );
    } finally {
      if (saved !== undefined) process.env.PAYMENTS_ESB_URL = saved;
      Reflect.deleteProperty(process.env, 'SF_APPLY_REPLACEMENTS_ON_CONVERT');
      await rm(out, { recursive: true, force: true });
    }
  });

  it('source-deploy-retrieve (what sf deploys) puts the environment values into the metadata', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'per-env-'));
    const saved = { ...process.env };
    Object.assign(process.env, GOOD, { SF_APPLY_REPLACEMENTS_ON_CONVERT: 'true' });
    try {
      const components = ComponentSet.fromSource({
        fsPaths: [
          path.join(ROOT, 'force-app', 'main', 'payments'),
          path.join(ROOT, 'force-app', 'main', 'common', 'customMetadata')
        ]
      });
      components.projectDirectory = ROOT;
      await new MetadataConverter().convert(components, 'metadata', {
        type: 'directory',
        outputDirectory: out,
        genUniqueDir: false
      });
      const read = (file: string) => readFile(path.join(out, file), 'utf8');
      assert.match(
        await read('namedCredentials/Payments_ESB.namedCredential'),
        /<parameterValue>https:\/\/esb\.mycompany\.com<\/parameterValue>/
      );
      assert.match(
        await read('customMetadata/Payment_Gateway_Setting.Default.md'),
        /https:\/\/payments\.auspost\.net\.au\/v2\/tokens/
      );
      assert.match(
        await read('cspTrustedSites/SecurePay_Tokenization.cspTrustedSite'),
        /<endpointUrl>https:\/\/payments\.auspost\.net\.au<\/endpointUrl>/
      );
      // The custom metadata values: each field's value, and only that field's.
      const gateway = await read('customMetadata/Payment_Gateway_Setting.Default.md');
      assert.match(
        gateway,
        /<field>Merchant_Code__c<\/field>\s*<value xsi:type="xsd:string">ACME0001<\/value>/
      );
      const payments = await read('customMetadata/Integration_Setting.Payments.md');
      assert.match(
        payments,
        /<field>Enabled__c<\/field>\s*<value xsi:type="xsd:boolean">false<\/value>/
      );
      assert.match(payments, /<value xsi:type="xsd:double">20000\.0<\/value>/);
      const defaults = await read('customMetadata/Integration_Setting.Default.md');
      assert.match(
        defaults,
        /<field>Enabled__c<\/field>\s*<value xsi:type="xsd:boolean">true<\/value>/
      );
      assert.match(
        defaults,
        /<field>Log_Level__c<\/field>\s*<value xsi:type="xsd:string">WARN<\/value>/
      );
      assert.match(defaults, /<value xsi:type="xsd:double">30\.0<\/value>/);
    } finally {
      for (const key of [...Object.keys(GOOD), 'SF_APPLY_REPLACEMENTS_ON_CONVERT']) {
        if (saved[key] === undefined) Reflect.deleteProperty(process.env, key);
        else process.env[key] = saved[key];
      }
      await rm(out, { recursive: true, force: true });
    }
  });
});
