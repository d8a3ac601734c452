/**
 * The one way the setup scripts (setup:pose, setup:native, setup:onnx-checker) install Debian
 * packages: apt-get when run as root (once more after `apt-get update` if the lists are stale),
 * otherwise the command to run, printed; never an error that stops npm.
 */
import { spawnSync } from 'node:child_process';

const say = (m) => process.stdout.write(`${m}\n`);

/** Whether a command is on the PATH. */
export const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;

/**
 * Installs the `missing` Debian packages; returns whether they are there afterwards.
 * `label` starts each message; `withoutApt` says what to do where apt-get does not exist;
 * `args` are the script's arguments (`--no-apt` skips the install and prints the command).
 */
export function installDebianPackages(missing, { label = 'Debian packages', withoutApt, args = [] }) {
  if (missing.length === 0) return true;
  const command = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (args.includes('--no-apt')) {
    say(`${label}: skipped (--no-apt); missing: ${missing.join(', ')}. Install them with: sudo ${command}`);
    return false;
  }
  if (!has('apt-get')) {
    say(`${label}: apt-get is not available on this system. ${withoutApt}`);
    return false;
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    say(
      `${label}: missing ${missing.join(', ')}; this is not root, so install them with: sudo apt-get update && sudo ${command}`,
    );
    return false;
  }
  say(`${label}: installing ${missing.join(', ')} (${command})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', command.split(' ').slice(1), { stdio: 'inherit', env });
  if (r.status !== 0) {
    say('apt-get install failed; updating the package lists and trying again');
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    r = spawnSync('apt-get', command.split(' ').slice(1), { stdio: 'inherit', env });
  }
  if (r.status !== 0) {
    say(
      `${label}: apt-get could not install ${missing.join(', ')} (exit ${r.status}); install them by hand: sudo ${command}`,
    );
    return false;
  }
  return true;
}
