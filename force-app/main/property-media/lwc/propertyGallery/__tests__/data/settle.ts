import { setImmediate as macrotask } from 'node:timers';

/**
 * Lets pending work run: promise chains and the macrotasks jsdom's FileReader reports through.
 * Node's own `timers` module, so it still moves on while a test has jest's fake timers installed.
 */
export function settle(rounds = 6): Promise<void> {
  let chain = Promise.resolve();
  for (let i = 0; i < rounds; i++) {
    chain = chain.then(() => new Promise<void>((resolve) => macrotask(resolve)));
  }
  return chain;
}
