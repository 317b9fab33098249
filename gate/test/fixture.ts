import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../../toolkit/src/project.ts';

export const TOOL_ROOT = projectRoot();
export const BASE_FIXTURE = path.join(TOOL_ROOT, 'gate', 'fixtures', 'base');
export const DEMO = 'force-app/main/demo';

/**
 * A throwaway copy of the clean base project. It lives under the repository's .cache/ (not the
 * OS temp dir) so that module resolution from inside it finds this repository's node_modules,
 * as it does for the real project.
 */
export class FixtureProject {
  private constructor(readonly dir: string) {}

  static async create(name: string): Promise<FixtureProject> {
    const parent = path.join(TOOL_ROOT, '.cache', 'gate-fixtures');
    await mkdir(parent, { recursive: true });
    const dir = await mkdtemp(path.join(parent, `${name}-`));
    // The compiled LWC .js is committed with the fixture, as in the real project.
    await cp(BASE_FIXTURE, dir, { recursive: true });
    return new FixtureProject(dir);
  }

  file(relative: string): string {
    return path.join(this.dir, relative);
  }

  async read(relative: string): Promise<string> {
    return readFile(this.file(relative), 'utf8');
  }

  async write(relative: string, content: string): Promise<void> {
    await mkdir(path.dirname(this.file(relative)), { recursive: true });
    await writeFile(this.file(relative), content);
  }

  /** Replaces `search` (which must occur) in a file. */
  async edit(relative: string, search: string | RegExp, replacement: string): Promise<void> {
    const before = await this.read(relative);
    const after = before.replace(search, replacement);
    if (after === before)
      throw new Error(`fixture edit did not apply to ${relative}: ${String(search)}`);
    await this.write(relative, after);
  }

  async remove(relative: string): Promise<void> {
    await rm(this.file(relative), { force: false });
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
