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

/**
 * Compiles every TypeScript LWC under `<root>/force-app` to the `.js` the platform deploys,
 * next to its `.ts` (which `.forceignore` keeps out of deploys). Each module is transpiled on
 * its own, as the LWC compiler sees it; type errors are the type check's job (`npm run
 * typecheck`), so a build never depends on type resolution.
 * @returns the compiled files.
 * @throws Error naming the file and line of any syntax error.
 */
export async function buildLwc(
  root: string = projectRoot(),
  toolRoot: string = projectRoot()
): Promise<string[]> {
  const options = lwcCompilerOptions(toolRoot);
  const sources: string[] = [];
  await findComponentSources(path.join(root, 'force-app'), sources);
  const problems: string[] = [];
  for (const file of sources) {
    const output = ts.transpileModule(await readFile(file, 'utf8'), {
      compilerOptions: { ...options, noEmit: false, declaration: false, sourceMap: false },
      fileName: file,
      reportDiagnostics: true
    });
    for (const d of output.diagnostics ?? []) {
      const pos =
        d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
      const where = pos ? `${file}:${pos.line + 1}:${pos.character + 1}` : file;
      problems.push(`${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    }
    await writeFile(file.replace(/\.ts$/, '.js'), output.outputText);
  }
  if (problems.length > 0) throw new Error(`LWC build failed:\n${problems.join('\n')}`);
  return sources.map((f) => f.replace(/\.ts$/, '.js'));
}
