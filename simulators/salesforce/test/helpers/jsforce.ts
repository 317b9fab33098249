/**
 * Test files that talk to one emulator through jsforce: the emulator runs for the whole file and
 * every test starts on a reset org with a fresh integration-user token.
 */
import { after, before, beforeEach } from 'node:test';
import jsforce from 'jsforce';
import { startTestEmulator, type TestEmulator } from './emulator.ts';

/** A jsforce connection on the emulator with its current token. */
export function jsforceConnection(emulator: TestEmulator): jsforce.Connection {
  return new jsforce.Connection({
    instanceUrl: emulator.instanceUrl,
    accessToken: emulator.accessToken,
    version: '65.0'
  });
}

/**
 * Registers the file's hooks: starts the emulator before its tests and closes it after them;
 * before each test resets the org, renews the token and hands `beforeEachTest` the emulator with
 * a new connection.
 */
export function useJsforceEmulator(
  beforeEachTest: (emulator: TestEmulator, conn: jsforce.Connection) => void | Promise<void>
): void {
  let emulator: TestEmulator;

  before(async () => {
    emulator = await startTestEmulator();
  });

  after(async () => {
    await emulator.close();
  });

  beforeEach(async () => {
    await emulator.driver('POST', 'reset');
    await emulator.renewToken();
    await beforeEachTest(emulator, jsforceConnection(emulator));
  });
}
