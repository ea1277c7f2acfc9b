// The help of `tidings dead-letters …`: what `tidings dead-letters <command> --help` prints, as is.
import {
  AMQP_OPTION,
  APP_OPTIONS,
  DATABASE_OPTION,
  FILTER_OPTIONS,
  HELP_OPTION,
  PG_USAGE_EXIT,
  USAGE_EXIT,
} from './help-text.js';

const NO_QUEUE_EXIT = `  1  the broker could not be reached or refused the login, or there is no dead-letter queue
     <app-id>.dead-letters (a mistyped --app-id: "no dead-letter queue ... check --app-id")`;

export const DEAD_LETTERS_HELP = `Usage: tidings dead-letters <command> [options]

The common dead-letter queue of one application (<app-id>.dead-letters), in RabbitMQ, and its archive
in PostgreSQL.

Commands:
  list              print the dead letters (the queue is left as it was)
  replay            send them back to the queue they came from, attempts reset
  purge             remove them
  archive           move them into a PostgreSQL table, to handle one by one
  archived <command>  the archived ones: list, show, replay, discard, purge

Run "tidings dead-letters <command> --help" for its options.
`;

export const DEAD_LETTERS_LIST_HELP = `Usage: tidings dead-letters list [options]

Prints the dead letters of an application, oldest first, one per line:
  <message id>  <reason>  from <queue> (<routing key>)  attempts <n> <error name>: <error message>
then "<n> dead letter(s) in <dead-letter queue>". The queue is left as it was, in the same order.

Options:
${APP_OPTIONS}
${AMQP_OPTION}
${FILTER_OPTIONS}
  --limit <n>                 at most n matching dead letters (default: all)
  --json                      one JSON object per line (body as text, properties), no count line
${HELP_OPTION}

Exit codes:
  0  listed (also when there are none)
${NO_QUEUE_EXIT}
${USAGE_EXIT}

Examples:
  tidings dead-letters list --app-id billing
  tidings dead-letters list --app-id billing --reason invalid-content --limit 10 --json
`;

export const DEAD_LETTERS_REPLAY_HELP = `Usage: tidings dead-letters replay [options]

Sends matching dead letters back to the queue they came from (not to every queue bound to their routing
key), same body and properties, attempts reset. Each is removed from the dead-letter queue only after
the broker confirmed its copy; what is not replayed stays there, in order. Progress goes to stderr
("[3/57] replayed <message id> → billing.orders"), a summary to stdout.

Options:
${APP_OPTIONS}
${AMQP_OPTION}
${FILTER_OPTIONS}
  --limit <n>                 at most n matching dead letters (default: all)
  --rate <n>                  at most n replays per second (default: no limit)
  --dry-run                   say what would be replayed, change nothing
${HELP_OPTION}

Exit codes:
  0  every matching dead letter was replayed (or would be, with --dry-run)
${NO_QUEUE_EXIT},
     or some could not be replayed (listed in the summary; they stay in the queue)
${USAGE_EXIT}

Example:
  tidings dead-letters replay --app-id billing --queue billing.orders --rate 50 --dry-run
`;

export const DEAD_LETTERS_PURGE_HELP = `Usage: tidings dead-letters purge [options]

Removes matching dead letters, all of them without a filter. They are gone: "dead-letters archive"
keeps them in PostgreSQL instead.

Options:
${APP_OPTIONS}
${AMQP_OPTION}
${FILTER_OPTIONS}
  --limit <n>                 at most n matching dead letters (default: all)
  --dry-run                   say how many would be removed, change nothing
${HELP_OPTION}

Exit codes:
  0  purged (also when there was nothing to purge)
${NO_QUEUE_EXIT}
${USAGE_EXIT}

Example:
  tidings dead-letters purge --app-id billing --reason expired
`;

const ARCHIVE_TABLE_OPTIONS = `  --table <name>              the archive table (default: tidings_dead_letters)
  --schema <name>             its schema (default: public)`;

export const DEAD_LETTERS_ARCHIVE_HELP = `Usage: tidings dead-letters archive [options]

Moves matching dead letters into a PostgreSQL table (created if missing), where "dead-letters archived"
lists, shows, replays and discards them one by one. Each is removed from the queue only after its row
is committed; a message archived before (a run that died before removing it) is not stored twice.
Progress goes to stderr ("[3/57] archived <message id> #<row>"), a summary to stdout.

Options:
${APP_OPTIONS}
${AMQP_OPTION}
${DATABASE_OPTION}
${ARCHIVE_TABLE_OPTIONS}
${FILTER_OPTIONS}
  --limit <n>                 at most n matching dead letters (default: all)
${HELP_OPTION}

Exit codes:
  0  every matching dead letter was archived
${NO_QUEUE_EXIT},
     PostgreSQL could not be reached or refused, or some could not be archived (they stay in the queue)
${PG_USAGE_EXIT}

Example:
  tidings dead-letters archive --app-id billing --database-url postgresql://ops@db.internal/ops
`;

export const DEAD_LETTERS_ARCHIVED_HELP = `Usage: tidings dead-letters archived <command> [id...] [options]

The dead letters "tidings dead-letters archive" moved into PostgreSQL, per application (--app-id).
Each row is pending until it is replayed or discarded. Ids are the #numbers "archived list" shows.

Commands:
  list              the archived dead letters (pending ones unless --status says otherwise)
  show <id>         one of them in full: error, stack, headers, body
  replay [id...]    send pending ones back to their queue; marked replayed once confirmed
  discard <id...>   mark pending ones as handled without replaying them
  purge             delete handled rows archived before --older-than

Run "tidings dead-letters archived <command> --help" for its options.
`;

const ARCHIVED_OPTIONS = `  --app-id <id>               the application (default: $TIDINGS_APP_ID, else "tidings")
${DATABASE_OPTION}
${ARCHIVE_TABLE_OPTIONS}`;
const ARCHIVED_EXIT = `  1  PostgreSQL could not be reached or refused, or there is no archive table`;

export const ARCHIVED_LIST_HELP = `Usage: tidings dead-letters archived list [options]

Prints archived dead letters, oldest first, one per line:
  #<id>  <status>  <reason>  from <queue> (<routing key>)  attempts <n>  <error>  <message id>
then how many are pending, replayed and discarded.

Options:
${ARCHIVED_OPTIONS}
  --status <status>           pending (default), replayed, discarded or all
${FILTER_OPTIONS}
  --limit <n>                 at most n rows (default: 100)
  --json                      one JSON object per line (body as text, or bodyBase64), no count line
${HELP_OPTION}

Exit codes:
  0  listed (also when there are none)
${ARCHIVED_EXIT}
${PG_USAGE_EXIT}

Example:
  tidings dead-letters archived list --app-id billing --status all --limit 20
`;

export const ARCHIVED_SHOW_HELP = `Usage: tidings dead-letters archived show <id> [options]

Prints one archived dead letter in full: reason, queue, exchange, routing key, attempts, error and
stack, times, every header, and the body (as text when it is UTF-8, else base64).

Options:
${ARCHIVED_OPTIONS}
  --json                      as one JSON object
${HELP_OPTION}

Exit codes:
  0  shown
${ARCHIVED_EXIT}, or no row <id> of this application
${PG_USAGE_EXIT}

Example:
  tidings dead-letters archived show 42 --app-id billing
`;

export const ARCHIVED_REPLAY_HELP = `Usage: tidings dead-letters archived replay [id...] [options]

Sends pending rows (the ids given, or all that match the filters) back to the queue they came from,
same body and properties, attempts reset, and marks each replayed once the broker confirmed it.
Progress goes to stderr ("[1/3] replayed #42 <message id> → billing.orders"), a summary to stdout.

Options:
${ARCHIVED_OPTIONS}
${AMQP_OPTION}
${FILTER_OPTIONS}
  --limit <n>                 at most n rows (default: all)
  --dry-run                   say what would be replayed, change nothing
${HELP_OPTION}

Exit codes:
  0  every selected row was replayed; ids that were not pending are listed, not an error
${ARCHIVED_EXIT},
     the broker could not be reached or refused, or some rows could not be replayed (still pending)
${PG_USAGE_EXIT}

Examples:
  tidings dead-letters archived replay 42 43 --app-id billing
  tidings dead-letters archived replay --app-id billing --reason repeats-exhausted --dry-run
`;

export const ARCHIVED_DISCARD_HELP = `Usage: tidings dead-letters archived discard <id...> [options]
       tidings dead-letters archived discard --queue <name> | --reason <reason> | --limit <n> [options]

Marks pending rows as handled without replaying them (they stay in the table until purged). Needs ids
or at least one filter: it never discards everything by accident.

Options:
${ARCHIVED_OPTIONS}
${FILTER_OPTIONS}
  --limit <n>                 at most n rows
${HELP_OPTION}

Exit codes:
  0  done; ids that were not pending are listed, not an error
${ARCHIVED_EXIT}
${PG_USAGE_EXIT}

Example:
  tidings dead-letters archived discard 44 45 --app-id billing
`;

export const ARCHIVED_PURGE_HELP = `Usage: tidings dead-letters archived purge --older-than <duration> [options]

Deletes replayed and discarded rows archived longer ago than --older-than; pending rows too with
--include-pending.

Options:
${ARCHIVED_OPTIONS}
  --older-than <duration>     required: 30d, 12h, 90m, 45s, 500ms
  --include-pending           delete pending rows too
${HELP_OPTION}

Exit codes:
  0  purged (also when there was nothing to purge)
${ARCHIVED_EXIT}
${PG_USAGE_EXIT}

Example:
  tidings dead-letters archived purge --app-id billing --older-than 30d
`;
