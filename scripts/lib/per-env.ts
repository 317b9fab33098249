/**
 * Per-environment values: what `sfdx-project.json`'s `replacements` substitute at deploy time
 * (Salesforce CLI string replacements: the CLI replaces `stringToReplace` in `filename` with the
 * value of the environment variable `replaceWithEnv` while it builds the deploy zip; the source
 * is never changed), and the checks `npm run deploy` makes before it lets sf deploy them.
 *
 * sf itself refuses a deploy when a `replaceWithEnv` variable is unset ("... is in
 * sfdx-project.json as a value for "replaceWithEnv" property, but it's not set in your
 * environment"), so a deploy never silently overwrites an environment's Named Credential URL,
 * tokenization URL, CSP Trusted Site, merchant code, kill switches or log level with the
 * committed placeholders. This module adds what sf cannot know: what each variable is for, that
 * each URL has the right shape, https wherever a browser or Salesforce must reach it, that the
 * tokenization URL's origin is the CSP Trusted Site (otherwise the browser blocks the card
 * tokenization call), and that each custom metadata value is one its field accepts (kill
 * switches true/false, a log level of the picklist, a merchant code, not the sandbox one in
 * production).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Replacement } from '../../gate/src/checks/per-env.ts';

export type { Replacement };

/** The severities of Integration_Setting__mdt.Log_Level__c (a restricted picklist). */
const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

/** What each environment variable the project's replacements read is, for the error message. */
export const PER_ENV_VARIABLES: Readonly<Record<string, string>> = {
  PAYMENTS_ESB_URL:
    'base URL of the payments ESB for Named Credential Payments_ESB, e.g. https://esb.mycompany.com',
  SECUREPAY_TOKENIZATION_URL:
    "the gateway's tokenization endpoint the browser posts cards to (Payment_Gateway_Setting.Default), e.g. https://payments-stest.npe.auspost.zone/v2/tokens",
  SECUREPAY_TRUSTED_SITE:
    'CSP Trusted Site SecurePay_Tokenization: the origin of SECUREPAY_TOKENIZATION_URL, e.g. https://payments-stest.npe.auspost.zone',
  SECUREPAY_MERCHANT_CODE:
    "this environment's SecurePay merchant code (Payment_Gateway_Setting.Default Merchant_Code__c), the same as the payments ESB's, e.g. 5AR0055 (the SecurePay sandbox)",
  INTEGRATION_ENABLED:
    'true or false: the kill switch of every scenario without its own record (Integration_Setting.Default Enabled__c); false deploys them switched off',
  PAYMENTS_ENABLED:
    'true or false: the payments kill switch (Integration_Setting.Payments Enabled__c); false deploys payments switched off',
  BACKGROUND_CHECK_ESB_URL:
    'base URL of the background-check ESB for Named Credential Background_Check_ESB, e.g. https://esb.mycompany.com',
  BACKGROUND_CHECK_ENABLED:
    'true or false: the background-check kill switch (Integration_Setting.BackgroundCheck Enabled__c); false deploys background checks switched off',
  ACTIVITY_API_URL:
    'base URL of the activity service for Named Credentials Activity_API (REST) and Activity_OData (Salesforce Connect, force-app-connect), e.g. https://activity.mycompany.com',
  ACTIVITY_ENABLED:
    'true or false: the activity kill switch (Integration_Setting.Activity Enabled__c); false deploys the activity dashboard switched off',
  FINANCE_EXPORT_ENABLED:
    'true or false: the Finance export kill switch (Integration_Setting.FinanceExport Enabled__c); false deploys the nightly Billing Account export switched off',
  PROPERTY_MEDIA_URL:
    'base URL of the property media service for Named Credential Property_Media, e.g. https://media.mycompany.com',
  PROPERTY_MEDIA_STORAGE_SITE:
    'CSP Trusted Site PropertyMediaStorage and Property_Media_Setting.Default Storage_Origin__c: the origin of the presigned storage URLs the media service issues (the browser uploads to and shows images from it; Apex refuses URLs of any other origin), e.g. https://media-bucket.s3.ap-southeast-2.amazonaws.com',
  PROPERTY_MEDIA_ENABLED:
    'true or false: the property media kill switch (Integration_Setting.PropertyMedia Enabled__c); false deploys the property gallery and the media migration switched off',
  ACTIVITY_CACHE_MB:
    'whole MB of org Platform Cache for partition ActivityCache (the activity dashboards), e.g. 1; 0 in an org without Platform Cache capacity (every dashboard load is then a cache miss)',
  INTEGRATION_LOG_LEVEL: `lowest severity logged (Integration_Setting.Default Log_Level__c), one of ${LOG_LEVELS.join(', ')}`
};

/** The variables that are URLs (checked for shape, https and the CSP site below). */
const URL_VARIABLES = new Set([
  'PAYMENTS_ESB_URL',
  'BACKGROUND_CHECK_ESB_URL',
  'ACTIVITY_API_URL',
  'SECUREPAY_TOKENIZATION_URL',
  'SECUREPAY_TRUSTED_SITE',
  'PROPERTY_MEDIA_URL',
  'PROPERTY_MEDIA_STORAGE_SITE'
]);

/** CSP Trusted Sites: a browser origin (scheme, host and port), never a path. */
const CSP_SITE_VARIABLES = new Set(['SECUREPAY_TRUSTED_SITE', 'PROPERTY_MEDIA_STORAGE_SITE']);

/** The kill-switch variables (checkboxes: true or false). */
const KILL_SWITCH_VARIABLES = new Set([
  'INTEGRATION_ENABLED',
  'PAYMENTS_ENABLED',
  'BACKGROUND_CHECK_ENABLED',
  'ACTIVITY_ENABLED',
  'FINANCE_EXPORT_ENABLED',
  'PROPERTY_MEDIA_ENABLED'
]);

/** Named Credential URLs: Salesforce calls them from its servers, so never plain http. */
const SERVER_CALLED_URLS = new Set([
  'PAYMENTS_ESB_URL',
  'BACKGROUND_CHECK_ESB_URL',
  'ACTIVITY_API_URL',
  'PROPERTY_MEDIA_URL'
]);

/** SecurePay's public sandbox merchant: fine anywhere but production. */
const SANDBOX_MERCHANT = '5AR0055';

/**
 * What is wrong with a custom metadata value variable, or undefined: it is written into the
 * record as is, so it must be a value the field accepts (a deploy would fail, or a restricted
 * picklist would hold a value Apex ignores).
 */
function settingProblem(name: string, value: string, production: boolean): string | undefined {
  if (KILL_SWITCH_VARIABLES.has(name)) {
    return value === 'true' || value === 'false'
      ? undefined
      : `${name}=${value} must be true or false (a checkbox).`;
  }
  if (name === 'INTEGRATION_LOG_LEVEL') {
    return LOG_LEVELS.includes(value)
      ? undefined
      : `${name}=${value} must be one of ${LOG_LEVELS.join(', ')}.`;
  }
  if (name === 'ACTIVITY_CACHE_MB') {
    // allocatedCapacity is an int of MB; a deploy asking for more than the org has fails, so
    // only the shape is checked here (0 is valid: a partition without capacity).
    return /^(0|[1-9]\d{0,3})$/.test(value)
      ? undefined
      : `${name}=${value} must be a whole number of MB from 0 to 9999 (0 when the org has no Platform Cache capacity).`;
  }
  if (name === 'SECUREPAY_MERCHANT_CODE') {
    if (!/^[A-Za-z0-9]{1,20}$/.test(value))
      return `${name}=${value} must be 1 to 20 letters and digits (SecurePay merchant code).`;
    if (production && value === SANDBOX_MERCHANT)
      return `${name}=${value} is SecurePay's sandbox test merchant, which production must not use.`;
  }
  return undefined;
}

/** What an entry replaces, for the "not set" message. */
function replaced(entry: Replacement | undefined): string {
  if (entry?.stringToReplace !== undefined) return JSON.stringify(entry.stringToReplace);
  const field = /<field>([^<]+)<\/field>/.exec(entry?.regexToReplace ?? '')?.[1];
  return field ? `the ${field} value` : 'the value its regexToReplace matches';
}

/** Reads the `replacements` of an SFDX project (empty when there are none). */
export async function readReplacements(root: string): Promise<Replacement[]> {
  const project = JSON.parse(await readFile(path.join(root, 'sfdx-project.json'), 'utf8')) as {
    replacements?: Replacement[];
  };
  return project.replacements ?? [];
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Whether a target org looks like production: not a scratch org (which has an expiration date)
 * and not a sandbox (whose My Domain has `--<sandbox>` or `.sandbox.`).
 */
export function looksLikeProduction(org: { instanceUrl?: string; expirationDate?: string }) {
  if (org.expirationDate) return false;
  const url = org.instanceUrl ?? '';
  return !/--|\.sandbox\.|\.scratch\./i.test(url);
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/**
 * Everything wrong with the per-environment values in `env`, one sentence each naming the
 * variable to set; empty when the deploy may go ahead.
 * @param replacements the project's `replacements`
 * @param env the environment (process.env)
 * @param production whether the target org is production: then every URL must be https
 */
export function checkPerEnvironment(
  replacements: readonly Replacement[],
  env: Readonly<Record<string, string | undefined>>,
  production: boolean
): string[] {
  const problems: string[] = [];
  const names = [
    ...new Set(replacements.flatMap((r) => (r.replaceWithEnv ? [r.replaceWithEnv] : [])))
  ];
  for (const name of names) {
    const value = env[name]?.trim();
    const where = replacements
      .filter((r) => r.replaceWithEnv === name)
      .map((r) => r.filename ?? r.glob)
      .join(', ');
    if (!value) {
      problems.push(
        `${name} is not set: export ${name}=<${PER_ENV_VARIABLES[name] ?? 'the value for this environment'}> (it replaces ${replaced(replacements.find((r) => r.replaceWithEnv === name))} in ${where} at deploy time).`
      );
      continue;
    }
    if (!(name in PER_ENV_VARIABLES)) continue;
    if (!URL_VARIABLES.has(name)) {
      const problem = settingProblem(name, value, production);
      if (problem) problems.push(problem);
      continue;
    }
    const url = parseUrl(value);
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      problems.push(`${name}=${value} is not an absolute http(s) URL.`);
      continue;
    }
    const loopback = LOOPBACK.has(url.hostname);
    if (url.protocol === 'http:' && (production || !loopback || SERVER_CALLED_URLS.has(name))) {
      problems.push(
        `${name}=${value} must use https${production ? ' in production' : ''} (http is accepted only for a loopback simulator the browser calls, the tokenization simulator or the embedded media storage, in a scratch org or sandbox).`
      );
    }
    if (production && loopback) {
      problems.push(
        `${name}=${value} points at this machine, which production users cannot reach.`
      );
    }
    if (CSP_SITE_VARIABLES.has(name) && value.replace(/\/$/, '') !== url.origin) {
      problems.push(
        `${name}=${value} must be an origin only (scheme, host and port, no path): ${url.origin}.`
      );
    }
  }
  const tokenization = parseUrl(env.SECUREPAY_TOKENIZATION_URL?.trim() ?? '');
  const site = parseUrl(env.SECUREPAY_TRUSTED_SITE?.trim() ?? '');
  if (
    tokenization &&
    site &&
    names.includes('SECUREPAY_TOKENIZATION_URL') &&
    names.includes('SECUREPAY_TRUSTED_SITE') &&
    tokenization.origin !== site.origin
  ) {
    problems.push(
      `SECUREPAY_TOKENIZATION_URL's origin ${tokenization.origin} is not the CSP Trusted Site SECUREPAY_TRUSTED_SITE=${site.origin}: the browser would block the card tokenization call; set SECUREPAY_TRUSTED_SITE=${tokenization.origin}.`
    );
  }
  return problems;
}
