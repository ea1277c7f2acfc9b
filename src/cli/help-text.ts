// The help of `tidings`, of its command groups and of the outbox commands; the dead-letter commands'
// help is in help-dead-letters.ts. Each text is what `tidings <command> --help` prints, as is.

import { DEFAULT_AMQP_URL } from '../adapters/rabbitmq/amqp-transport-options.js';

export const AMQP_OPTION = `  --url <url>                 the broker (default: $AMQP_URL, else ${DEFAULT_AMQP_URL});
                              a comma-separated list is tried in turn`;
export const APP_OPTIONS = `  --app-id <id>               the application (default: $TIDINGS_APP_ID, else "tidings")
  --dead-letter-queue <name>  its dead-letter queue, when it is not <app-id>.dead-letters`;
export const FILTER_OPTIONS = `  --queue <name>              only dead letters that came from this queue
  --reason <reason>           only this reason: repeats-exhausted, non-retryable, invalid-content
                              (written by tidings), expired, rejected, maxlen, delivery-limit (RabbitMQ's)`;
export const DATABASE_OPTION = `  --database-url <url>        PostgreSQL (default: $DATABASE_URL; one of them is required)`;
export const HELP_OPTION = '  -h, --help                  print this help';

export const USAGE_EXIT = '  2  usage error: unknown command or option, bad value';
export const PG_USAGE_EXIT = `${USAGE_EXIT}, no --database-url nor DATABASE_URL,
     or the "pg" package is not installed`;

export const MAIN_HELP = `Usage: tidings <command> [options]
       tidings <command> --help
       tidings help <command>

The command-line tools of tidings: the dead-letter queue of an application in RabbitMQ, its archive
in PostgreSQL, and the PostgreSQL outbox.

Commands:
  dead-letters list       print the dead letters (the queue is left as it was)
  dead-letters replay     send dead letters back to the queue they came from
  dead-letters purge      remove dead letters
  dead-letters archive    move dead letters into a PostgreSQL table, to handle one by one
  dead-letters archived   list, show, replay, discard or purge archived dead letters
  outbox migrate          create the outbox table
  outbox status           pending rows, age of the oldest, in flight, failing, published
  outbox relay            publish committed outbox rows to RabbitMQ until stopped

Options:
  -h, --help              print help; "tidings <command> --help" prints a command's own
  -V, --version           print the version of tidings

Environment:
  AMQP_URL         the broker when --url is not given (default ${DEFAULT_AMQP_URL})
  TIDINGS_APP_ID   the application when --app-id is not given (default "tidings")
  DATABASE_URL     PostgreSQL when --database-url is not given
  MESSAGE_BROKER   "memory": dead-letters list, replay and purge use an in-process memory broker
                   (empty: for trying the command out); anything else, or unset: RabbitMQ

Exit codes (every command):
  0  done
  1  the command failed: a server could not be reached or refused the login, there is no such
     dead-letter queue, some messages could not be handled (the summary lists them)
${PG_USAGE_EXIT}

Passwords in URLs are never printed: they show as ***.

Example:
  tidings dead-letters list --app-id billing
`;

export const OUTBOX_HELP = `Usage: tidings outbox <migrate|status|relay> [options]

The transactional outbox in PostgreSQL: rows written in the business transaction, published to
RabbitMQ by a relay. Needs the "pg" package.

Commands:
  migrate   create the outbox table (--print shows the SQL instead)
  status    pending rows, age of the oldest, in flight, failing, published
  relay     publish committed outbox rows to RabbitMQ until stopped (Ctrl-C, SIGTERM)

Run "tidings outbox <command> --help" for its options.
`;

const TABLE_OPTIONS = `  --table <name>              the outbox table (default: tidings_outbox)
  --schema <name>             its schema (default: public)`;

export const OUTBOX_MIGRATE_HELP = `Usage: tidings outbox migrate [options]

Creates the outbox table and its indexes if they do not exist (safe to run again, and from several
processes at once).

Options:
${DATABASE_OPTION}
${TABLE_OPTIONS}
  --print                     print the SQL instead, change nothing (no database needed)
${HELP_OPTION}

Exit codes:
  0  the table is ready (or the SQL was printed)
  1  PostgreSQL could not be reached or refused
${PG_USAGE_EXIT}

Examples:
  tidings outbox migrate --database-url postgresql://app@db.internal/app
  tidings outbox migrate --print --schema billing > migrations/001_outbox.sql
`;

export const OUTBOX_STATUS_HELP = `Usage: tidings outbox status [options]

Prints one line: rows waiting to be published and the age of the oldest (seconds), rows claimed by a
relay right now, rows that failed at least once, and published rows not yet deleted.

Options:
${DATABASE_OPTION}
${TABLE_OPTIONS}
${HELP_OPTION}

Exit codes:
  0  printed
  1  PostgreSQL could not be reached or refused, or there is no such table
${PG_USAGE_EXIT}

Example:
  tidings outbox status --database-url postgresql://app@db.internal/app --schema billing
`;

export const OUTBOX_RELAY_HELP = `Usage: tidings outbox relay [options]

Publishes committed outbox rows to RabbitMQ with publisher confirms and marks each published once the
broker confirmed it, until stopped by Ctrl-C (SIGINT) or SIGTERM; then it finishes the batch in
progress and gives back its claims. Several relays may run at once: each row is claimed by one.

Progress, on stdout, every --progress-every:
  published 1200 (+300 in 5.0 s, 60.0/s), failed 0, pending 15, oldest 0.4 s
published and failed count rows since the start; pending and oldest are what "tidings outbox status"
shows (queried less often when that query is slow, then marked "as of N s ago").

Trouble the relay waits out is printed on stderr and retried: a server that cannot be reached or
restarts, a row the broker refuses ("failed <id> (attempt n): ..."). A refused login is not: the relay
stops at once with exit code 1 when PostgreSQL answers SQLSTATE 28P01 (wrong password), 28000 (no such
role, or refused by pg_hba.conf) or 3D000 (no such database), or RabbitMQ answers 403 ACCESS_REFUSED
(wrong user or password), 530 NOT_ALLOWED (no access to the virtual host) or presents a TLS certificate
that fails verification.

Options:
${DATABASE_OPTION}
${AMQP_OPTION}
${TABLE_OPTIONS}
  --batch <n>                 rows claimed and published at a time (default: 500)
  --progress-every <duration> how often to print progress: 500ms, 5s, 1m, ... (default: 5s)
${HELP_OPTION}

Exit codes:
  0  stopped by SIGINT or SIGTERM
  1  a server refused the login (see above)
${PG_USAGE_EXIT}

Example:
  export DATABASE_URL=postgresql://app@db.internal/app AMQP_URL=amqp://app:secret@mq.internal
  tidings outbox relay --batch 200 --progress-every 30s
`;
