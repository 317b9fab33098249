// The BackgroundCheck kill switch (Integration_Setting__mdt Enabled__c, BackgroundCheck else
// Default else on), read as the integration user. While it is off, a submission already queued
// is held (BackCheck never sees it, no poll either) and readiness and /metrics say "paused by
// kill switch"; a callback still lands in Salesforce. Switched on again, the held submission goes.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { resolveEnabled } from '../../src/platform/kill-switch.ts';
import { BACKGROUND_CHECK_SCENARIO } from '../../src/background-check/kill-switch.ts';
import { API_TOKEN, signedCallback, startLab, type Lab } from './harness.ts';
import { scenarioSwitch } from '../helpers/kill-switch.ts';

describe('resolveEnabled for the BackgroundCheck record', () => {
  const row = (DeveloperName: string, Enabled__c: boolean) => ({ DeveloperName, Enabled__c });
  it('the BackgroundCheck record decides, else Default, else on; AccountSync is not read', () => {
    const scenario = BACKGROUND_CHECK_SCENARIO;
    assert.equal(resolveEnabled([row(scenario, false), row('Default', true)], scenario), false);
    assert.equal(resolveEnabled([row(scenario, true), row('Default', false)], scenario), true);
    assert.equal(resolveEnabled([row('Default', false)], scenario), false);
    assert.equal(resolveEnabled([row('AccountSync', false)], scenario), true);
    assert.equal(resolveEnabled([], scenario), true);
  });
});

describe('background-check honours the kill switch', () => {
  let lab: Lab;

  const setSwitch = scenarioSwitch(() => lab.org.emulator.ctx, 'BackgroundCheck');

  const sentToBackCheck = (applicationId: string) =>
    lab.backCheck.control.checks().filter((c) => c.clientReference === applicationId).length;

  before(async () => {
    lab = await startLab();
    setSwitch(false);
    await lab.startService({ BACKGROUND_CHECK_KILL_SWITCH_INTERVAL_MS: '100' });
  });
  after(async () => lab?.close());

  it('off: a queued submission is not sent, readiness and metrics say paused; a callback still lands', async () => {
    const app = await lab.createApplication();
    assert.equal((await lab.submit(app.body)).status, 202);
    // Several switch reads and hold cycles (1 s each) pass; BackCheck must see nothing.
    await sleep(3000);
    assert.equal(sentToBackCheck(app.applicationId), 0);
    assert.equal((await lab.row(app.applicationId))?.state, 'submitted');

    const ready = await fetch(`${lab.service?.url}/readyz`);
    const readyText = await ready.text();
    assert.equal(ready.status, 503);
    // The reason ("paused by kill switch ...") is the probe's error, logged; /readyz names the probe.
    assert.match(readyText, /"background-check: kill switch":"failed"/);
    const metrics = await (
      await fetch(`${lab.service?.url}/metrics`, {
        headers: { Authorization: `Bearer ${API_TOKEN}` }
      })
    ).text();
    assert.match(metrics, /background_check_paused\{state="off"\} 1/);

    // A result BackCheck already produced is recorded and written while off.
    const [pending] = await lab.seedPending(1, 'ks');
    const callback = signedCallback(lab.backCheck.webhookSecret, pending!);
    const answer = await fetch(`${lab.service?.url}/backcheck/callbacks`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'BackCheck-Signature': callback.signature },
      body: callback.raw
    });
    assert.equal(answer.status, 200);
    await lab.until(
      async () =>
        (await lab.application(pending!.applicationId)).Background_Check_Result__c === 'Clear',
      'the callback written while off'
    );

    setSwitch(true);
    await lab.until(
      async () => (await lab.row(app.applicationId))?.state === 'accepted',
      'the held submission sent once the switch is on'
    );
    assert.equal(sentToBackCheck(app.applicationId), 1);
    // Readiness probes are refreshed every 5 s.
    await lab.until(
      async () => (await fetch(`${lab.service?.url}/readyz`)).status === 200,
      'ready again once the switch is on'
    );
  });
});
