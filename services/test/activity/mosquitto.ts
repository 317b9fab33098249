// A private Mosquitto for tests, configured from services/src/activity/mosquitto/ (the
// documented production setup): its ACL file as is, its mosquitto.conf with the TLS listener
// rewritten to plain TCP on a random local port (the TLS lines need real certificates), the file
// paths and persistence to a temporary folder. Passwords via mosquitto_passwd.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from './helpers.ts';

const run = promisify(execFile);
const EXAMPLE = new URL('../../src/activity/mosquitto/', import.meta.url);

export interface PrivateMosquitto {
  url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startPrivateMosquitto(
  users: Record<string, string>
): Promise<PrivateMosquitto> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'activity-mosquitto-'));
  // Mosquitto started as root drops to its own user: it must be able to read the folder.
  await chmod(dir, 0o755);
  const passwd = path.join(dir, 'activity.passwd');
  const acl = path.join(dir, 'activity.acl');
  let first = true;
  for (const [user, password] of Object.entries(users)) {
    await run('mosquitto_passwd', [...(first ? ['-c'] : []), '-b', passwd, user, password]);
    first = false;
  }
  await writeFile(acl, await readFile(new URL('acl', EXAMPLE), 'utf8'));
  const port = await freePort();
  const conf = (await readFile(new URL('mosquitto.conf', EXAMPLE), 'utf8'))
    .replace(/^listener .*$/m, `listener ${port} 127.0.0.1`)
    .replace(/^(cafile|certfile|keyfile|tls_version) .*$/gm, '')
    .replace(/^password_file .*$/m, `password_file ${passwd}`)
    .replace(/^acl_file .*$/m, `acl_file ${acl}`)
    .replace(/^persistence true$/m, 'persistence false')
    .replace(/^persistence_location .*$/m, '');
  assert(
    conf.includes('allow_anonymous false') &&
      conf.includes(`acl_file ${acl}`) &&
      !/^(cafile|certfile|keyfile) /m.test(conf)
  );
  const confFile = path.join(dir, 'mosquitto.conf');
  await writeFile(confFile, conf);
  for (const file of [passwd, acl, confFile]) await chmod(file, 0o644);
  const child: ChildProcess = spawn('/usr/sbin/mosquitto', ['-c', confFile], { stdio: 'ignore' });
  let exited = false;
  child.on('exit', () => (exited = true));
  await waitFor('mosquitto to listen', async () => {
    if (exited) throw new Error('mosquitto exited at start');
    return new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('connect', () => (socket.destroy(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
  });
  return {
    url: `mqtt://127.0.0.1:${port}`,
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        await waitFor('mosquitto to exit', () => exited);
      }
      await rm(dir, { recursive: true, force: true });
    }
  };
}

function assert(condition: boolean): asserts condition {
  if (!condition) throw new Error('the example mosquitto.conf no longer has the expected lines');
}
