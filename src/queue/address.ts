/**
 * Where a queue lives: `redis://[user:password@]host:port/db` parsed once, with errors that say
 * what was expected. The password never appears in messages (`display` leaves it out).
 */
import { ValidationError } from '../core/errors.js';

export interface RedisAddress {
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username?: string;
  readonly password?: string;
  /** The address as messages show it: redis://host:port/db, without credentials. */
  readonly display: string;
}

export function parseRedisAddress(text: string): RedisAddress {
  const wrong = (detail: string) =>
    new ValidationError(
      `queue address '${text}'`,
      undefined,
      `${detail}; expected redis://host:port/db (e.g. redis://127.0.0.1:6379/0)`,
    );
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw wrong('not a URL');
  }
  if (url.protocol !== 'redis:') throw wrong(`the scheme is '${url.protocol.replace(/:$/, '')}', not redis`);
  if (!url.hostname) throw wrong('no host');
  const port = url.port === '' ? 6379 : Number(url.port);
  const path = url.pathname.replace(/^\//, '');
  const db = path === '' ? 0 : Number(path);
  if (!(Number.isInteger(db) && db >= 0 && db <= 15 && /^\d*$/.test(path)))
    throw wrong(`the database '${path}' is not a number from 0 to 15`);
  // URL keeps IPv6 hosts in brackets; Node's sockets want them bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    host,
    port,
    db,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    display: `redis://${url.hostname}:${port}/${db}`,
  };
}
