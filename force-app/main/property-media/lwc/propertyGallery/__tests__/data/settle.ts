import { setImmediate as macrotask } from 'node:timers';

/**
 * Lets pending work run: promise chains and the macrotasks jsdom's FileReader reports through.
 * Node's own `timers` module, so it still moves on while a test has jest's fake timers installed.
 */
export function settle(rounds = 20): Promise<void> {
  let chain = Promise.resolve();
  for (let i = 0; i < rounds; i++) {
    chain = chain.then(() => new Promise<void>((resolve) => macrotask(resolve)));
  }
  return chain;
}

/**
 * Lets pending work run until `predicate` holds. Web Crypto digests on Node's thread pool, so a
 * hash takes real time, not a fixed number of turns of the event loop.
 * @throws Error when it does not hold within `maxRounds` turns.
 */
export async function until(predicate: () => boolean, maxRounds = 5000): Promise<void> {
  for (let round = 0; round < maxRounds; round++) {
    if (predicate()) return;
    // eslint-disable-next-line no-await-in-loop -- one turn of the event loop per check
    await new Promise<void>((resolve) => macrotask(resolve));
  }
  throw new Error(`Still waiting after ${maxRounds} turns of the event loop.`);
}
