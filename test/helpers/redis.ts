/**
 * A real Redis (Debian's redis-server) for the queue tests: started on 127.0.0.1 on a free port
 * with its data in a temporary folder (append-only file, so a restart keeps the jobs, as a
 * production Redis does), stopped at the end. Tests register as skipped where it is missing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './temp.js';

export const hasRedis = (() => {
  let cached: boolean | undefined;
  return () => (cached ??= spawnSync('redis-server', ['--version']).status === 0);
})();

export const REDIS_MISSING = "redis-server is not installed (npm run setup:queue installs Debian's redis-server)";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something answers PING on the port with PONG. */
async function waitForPong(port: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => socket.write('PING\r\n'));
      socket.once('data', (d) => {
        socket.destroy();
        resolve(d.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until)
      throw new Error(`redis-server did not answer on 127.0.0.1:${port} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface TestRedis {
  readonly port: number;
  readonly dir: string;
  /** redis://127.0.0.1:port/db */
  url(db?: number): string;
  /** Stops it (SIGTERM: it writes its data first) and starts it again on the same port and data. */
  restart(downMs?: number): Promise<void>;
  /** Stops it and removes its data. */
  stop(): Promise<void>;
  /** redis-cli against it. */
  cli(...args: string[]): string;
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const dir = tempDir('skelact-redis-');
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
        '--logfile',
        join(dir, 'redis.log'),
      ],
      { stdio: 'ignore' },
    );
    await waitForPong(port);
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  };
  await start();
  return {
    port,
    dir,
    url: (db = 0) => `redis://127.0.0.1:${port}/${db}`,
    restart: async (downMs = 1000) => {
      await stop();
      await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
    stop: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    cli: (...args) => spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).stdout,
  };
}
