import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ts from 'typescript';
import { projectRoot } from '../../toolkit/src/project.ts';

/** The tsconfig whose compilerOptions define how TypeScript LWCs compile. */
export const LWC_TSCONFIG = path.join('force-app', 'tsconfig.json');

async function findComponentSources(dir: string, out: string[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === '__tests__' || entry.name === '__mocks__')
      continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await findComponentSources(full, out);
    else if (
      entry.name.endsWith('.ts') &&
      !entry.name.endsWith('.d.ts') &&
      full.split(path.sep).includes('lwc')
    ) {
      out.push(full);
    }
  }
}

/** Reads compilerOptions from the repository's LWC tsconfig (the single source of those settings). */
export function lwcCompilerOptions(toolRoot: string = projectRoot()): ts.CompilerOptions {
  const configPath = path.join(toolRoot, LWC_TSCONFIG);
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  return ts.convertCompilerOptionsFromJson(config.compilerOptions, path.dirname(configPath))
    .options;
}

/** One TypeScript LWC module compiled in memory. */
export interface CompiledLwc {
  /** Absolute path of the `.ts` source. */
  source: string;
  /** Absolute path of the deployable `.js` next to it. */
  target: string;
  /** What the build writes to `target`. */
  output: string;
  /** Syntax errors, as `file:line:column message`. */
  problems: string[];
}

/**
 * Compiles every TypeScript LWC under `<root>/force-app` in memory, without writing anything.
 * Each module is transpiled on its own, as the LWC compiler sees it; type errors are the type
 * check's job (`npm run typecheck`), so a build never depends on type resolution.
 */
export async function compileLwc(
  root: string = projectRoot(),
  toolRoot: string = projectRoot()
): Promise<CompiledLwc[]> {
  const options = lwcCompilerOptions(toolRoot);
  const sources: string[] = [];
  await findComponentSources(path.join(root, 'force-app'), sources);
  const compiled: CompiledLwc[] = [];
  for (const file of sources.sort()) {
    const output = ts.transpileModule(await readFile(file, 'utf8'), {
      compilerOptions: { ...options, noEmit: false, declaration: false, sourceMap: false },
      fileName: file,
      reportDiagnostics: true
    });
    const problems = (output.diagnostics ?? []).map((d) => {
      const pos =
        d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
      const where = pos ? `${file}:${pos.line + 1}:${pos.character + 1}` : file;
      return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    compiled.push({
      source: file,
      target: file.replace(/\.ts$/, '.js'),
      output: output.outputText,
      problems
    });
  }
  return compiled;
}

/**
 * The committed `.js` files that are missing or differ from a fresh build of their `.ts`: a
 * plain `sf project deploy start` deploys the committed `.js`, so a stale one deploys old code.
 * @returns the `.js` paths (absolute) with why each is stale.
 */
export async function staleLwc(
  root: string = projectRoot(),
  toolRoot: string = projectRoot()
): Promise<{ file: string; reason: 'missing' | 'differs' }[]> {
  const stale: { file: string; reason: 'missing' | 'differs' }[] = [];
  for (const module of await compileLwc(root, toolRoot)) {
    if (module.problems.length > 0) continue; // the build step reports syntax errors
    let committed: string;
    try {
      committed = await readFile(module.target, 'utf8');
    } catch {
      stale.push({ file: module.target, reason: 'missing' });
      continue;
    }
    if (committed !== module.output) stale.push({ file: module.target, reason: 'differs' });
  }
  return stale;
}

/**
 * Compiles every TypeScript LWC under `<root>/force-app` to the `.js` the platform deploys,
 * next to its `.ts` (which `.forceignore` keeps out of deploys). The `.js` is committed, so a
 * plain `sf project deploy start` from a clone deploys complete bundles; the gate fails when a
 * committed `.js` differs from this build ({@link staleLwc}).
 * @returns the compiled files.
 * @throws Error naming the file and line of any syntax error.
 */
export async function buildLwc(
  root: string = projectRoot(),
  toolRoot: string = projectRoot()
): Promise<string[]> {
  const compiled = await compileLwc(root, toolRoot);
  for (const module of compiled) await writeFile(module.target, module.output);
  const problems = compiled.flatMap((m) => m.problems);
  if (problems.length > 0) throw new Error(`LWC build failed:\n${problems.join('\n')}`);
  return compiled.map((m) => m.target);
}
