import { buildLwc } from '../gate/src/lwc-build.ts';

try {
  const compiled = await buildLwc();
  console.log(`LWC: compiled ${compiled.length} TypeScript modules to deployable .js`);
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
}
