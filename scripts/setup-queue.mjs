#!/usr/bin/env node
/**
 * npm run setup:queue — Redis for skelact's job queue (skelact extract --queue, sweep, worker)
 * and its tests: Debian's redis-server (with redis-cli), with apt-get when run as root;
 * otherwise it prints the command to run. Quick when it is already installed.
 * Usage: npm run setup:queue [-- --no-apt]
 */
import { has, installDebianPackages } from './debian-packages.mjs';

const say = (m) => process.stdout.write(`${m}\n`);
if (has('redis-server') && has('redis-cli')) {
  say('Debian packages: redis-server is installed');
} else {
  const ok = installDebianPackages(['redis-server'], {
    args: process.argv.slice(2),
    withoutApt:
      'Install Redis (tested with 7.0) with your package manager (redis-server and redis-cli on the PATH), or run it elsewhere and give its address with --queue redis://host:port/db.',
  });
  if (!ok)
    say(
      'setup:queue finished without redis-server: the queue tests are skipped; the workers can still use a Redis on another machine.',
    );
}
