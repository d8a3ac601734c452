/** The queue's own failures: Redis out of reach, and a queue another skelact version wrote. */
import { SkelactError } from '../core/errors.js';

export class QueueUnreachableError extends SkelactError {
  readonly code = 'queue-unreachable';

  constructor(
    readonly address: string,
    reason: string,
  ) {
    super(
      `cannot reach Redis at ${address} (${reason}); is redis-server running there and reachable from this machine? (npm run setup:queue installs Debian's redis-server)`,
    );
  }
}

export class QueueVersionError extends SkelactError {
  readonly code = 'queue-version';

  constructor(message: string) {
    super(message);
  }
}
