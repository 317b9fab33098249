import { spawn } from 'node:child_process';

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and collects its output (never rejects on a non-zero exit). */
export function run(
  command: string,
  args: string[],
  options: { cwd?: string } = {}
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new Error(
              `${command} not found on PATH: the Apex checks need a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless)`
            )
          : error
      )
    );
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
