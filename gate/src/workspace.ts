import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * The project under check: its root, the package directories named in sfdx-project.json and
 * every file inside them. Checks share one listing instead of walking the tree again.
 */
export interface Workspace {
  /** Absolute path of the SFDX project being checked. */
  root: string;
  /** Absolute path of this repository (where the gate's own configs live). */
  toolRoot: string;
  packageDirs: string[];
  /** Absolute paths of every file under the package directories (node_modules excluded). */
  files: string[];
  sourceApiVersion: string;
}

const SKIPPED_DIRS = new Set(['node_modules', '.sfdx', '.sf', '.git']);

async function walk(dir: string, out: string[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (SKIPPED_DIRS.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await walk(full, out);
    else if (entry.isFile()) out.push(full);
  }
}

export async function loadWorkspace(root: string, toolRoot: string): Promise<Workspace> {
  const projectFile = path.join(root, 'sfdx-project.json');
  let project: { packageDirectories?: { path: string }[]; sourceApiVersion?: string };
  try {
    project = JSON.parse(await readFile(projectFile, 'utf8'));
  } catch (error) {
    throw new Error(`${projectFile}: cannot read an SFDX project (${(error as Error).message})`);
  }
  const packageDirs = (project.packageDirectories ?? []).map((p) => path.resolve(root, p.path));
  if (packageDirs.length === 0) throw new Error(`${projectFile}: no packageDirectories`);
  const files: string[] = [];
  for (const dir of packageDirs) await walk(dir, files);
  files.sort();
  return {
    root,
    toolRoot,
    packageDirs,
    files,
    sourceApiVersion: project.sourceApiVersion ?? ''
  };
}

/** Project-relative path with forward slashes, as findings report it. */
export function rel(ws: Workspace, file: string): string {
  return path.relative(ws.root, file).split(path.sep).join('/');
}

/** Files whose name ends with one of the suffixes. */
export function filesEnding(ws: Workspace, ...suffixes: string[]): string[] {
  return ws.files.filter((f) => suffixes.some((s) => f.endsWith(s)));
}
