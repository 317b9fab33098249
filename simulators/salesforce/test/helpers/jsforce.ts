/**
 * Test files that talk to one emulator through jsforce: the emulator runs for the whole file and
 * every test starts on a reset org with a fresh integration-user token.
 */
import { after, before, beforeEach } from 'node:test';
import jsforce from 'jsforce';
import { startTestEmulator, type TestEmulator } from './emulator.ts';

/** A jsforce connection on the emulator with its current token (or another user's). */
export function jsforceConnection(
  emulator: TestEmulator,
  accessToken = emulator.accessToken
): jsforce.Connection {
  return new jsforce.Connection({
    instanceUrl: emulator.instanceUrl,
    accessToken,
    version: '65.0'
  });
}

/** An access token for a seeded user, minted by the emulator's driver. */
export async function tokenFor(emulator: TestEmulator, username: string): Promise<string> {
  const { accessToken } = await emulator.driver<{ accessToken: string }>('POST', 'sessions', {
    username
  });
  return accessToken;
}

/** What jsforce rejects with when the org answers an error body. */
export interface ApiFailure {
  errorCode?: string;
  message?: string;
  name?: string;
}

/** The error `promise` rejects with; fails the test if it resolves. */
export async function failure(promise: PromiseLike<unknown>): Promise<ApiFailure> {
  try {
    await promise;
  } catch (error) {
    return error as ApiFailure;
  }
  throw new Error('expected the call to fail');
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
