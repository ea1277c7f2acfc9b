import type { LoggerService } from '@nestjs/common';
import type { Logger } from '../../messaging/logging/logger.js';

/**
 * A Nest logger in the shape tidings' components write to (`warn(data, message)`): Nest's logger takes
 * the message first, and an error's stack as the second argument of `error`. The entry's `code` and
 * other fields are left out of the line, which says it all already; the stack of `err` is kept.
 */
export function nestLogger(logger: LoggerService): Logger {
  return {
    info: (_data, message) => {
      logger.log(message);
    },
    warn: (_data, message) => {
      logger.warn(message);
    },
    error: (data, message) => {
      const err = (data as { err?: unknown }).err;
      if (err instanceof Error && err.stack !== undefined) logger.error(message, err.stack);
      else logger.error(message);
    },
  };
}
