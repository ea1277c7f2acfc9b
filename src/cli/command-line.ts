// What `tidings` was asked to do: which command, with which options, or which help. Pure (no I/O), so
// the unit tests cover every usage error without a server.
import { parseArgs } from 'node:util';
import {
  ARCHIVED_DISCARD_HELP,
  ARCHIVED_LIST_HELP,
  ARCHIVED_PURGE_HELP,
  ARCHIVED_REPLAY_HELP,
  ARCHIVED_SHOW_HELP,
  DEAD_LETTERS_ARCHIVE_HELP,
  DEAD_LETTERS_ARCHIVED_HELP,
  DEAD_LETTERS_HELP,
  DEAD_LETTERS_LIST_HELP,
  DEAD_LETTERS_PURGE_HELP,
  DEAD_LETTERS_REPLAY_HELP,
} from './help-dead-letters.js';
import {
  MAIN_HELP,
  OUTBOX_HELP,
  OUTBOX_MIGRATE_HELP,
  OUTBOX_RELAY_HELP,
  OUTBOX_STATUS_HELP,
} from './help-text.js';

/** Every option of every command; which command takes which is in the command tree below. */
const OPTIONS = {
  'app-id': { type: 'string' },
  'dead-letter-queue': { type: 'string' },
  url: { type: 'string' },
  queue: { type: 'string' },
  reason: { type: 'string' },
  limit: { type: 'string' },
  rate: { type: 'string' },
  'dry-run': { type: 'boolean' },
  'database-url': { type: 'string' },
  table: { type: 'string' },
  schema: { type: 'string' },
  batch: { type: 'string' },
  'progress-every': { type: 'string' },
  print: { type: 'boolean' },
  status: { type: 'string' },
  'older-than': { type: 'string' },
  'include-pending': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

type OptionName = keyof typeof OPTIONS;
export type OptionValues = {
  [Name in OptionName]?: (typeof OPTIONS)[Name]['type'] extends 'string' ? string : boolean;
};

interface Leaf {
  readonly options: readonly OptionName[];
  /** Takes operands (archive ids) after the command. */
  readonly operands?: true;
  readonly help: string;
}
interface Group {
  readonly children: Readonly<Record<string, Node>>;
  readonly help: string;
}
type Node = Leaf | Group;

const AMQP: readonly OptionName[] = ['app-id', 'dead-letter-queue', 'url'];
const FILTER: readonly OptionName[] = ['queue', 'reason', 'limit'];
const ARCHIVED: readonly OptionName[] = ['app-id', 'database-url', 'table', 'schema'];
const OUTBOX: readonly OptionName[] = ['database-url', 'table', 'schema'];

const TREE: Group = {
  help: MAIN_HELP,
  children: {
    'dead-letters': {
      help: DEAD_LETTERS_HELP,
      children: {
        list: { options: [...AMQP, ...FILTER, 'json'], help: DEAD_LETTERS_LIST_HELP },
        replay: { options: [...AMQP, ...FILTER, 'rate', 'dry-run'], help: DEAD_LETTERS_REPLAY_HELP },
        purge: { options: [...AMQP, ...FILTER, 'dry-run'], help: DEAD_LETTERS_PURGE_HELP },
        archive: { options: [...AMQP, ...ARCHIVED, ...FILTER], help: DEAD_LETTERS_ARCHIVE_HELP },
        archived: {
          help: DEAD_LETTERS_ARCHIVED_HELP,
          children: {
            list: { options: [...ARCHIVED, ...FILTER, 'status', 'json'], help: ARCHIVED_LIST_HELP },
            show: { options: [...ARCHIVED, 'json'], operands: true, help: ARCHIVED_SHOW_HELP },
            replay: {
              options: [...ARCHIVED, 'url', ...FILTER, 'dry-run'],
              operands: true,
              help: ARCHIVED_REPLAY_HELP,
            },
            discard: { options: [...ARCHIVED, ...FILTER], operands: true, help: ARCHIVED_DISCARD_HELP },
            purge: { options: [...ARCHIVED, 'older-than', 'include-pending'], help: ARCHIVED_PURGE_HELP },
          },
        },
      },
    },
    outbox: {
      help: OUTBOX_HELP,
      children: {
        migrate: { options: [...OUTBOX, 'print'], help: OUTBOX_MIGRATE_HELP },
        status: { options: OUTBOX, help: OUTBOX_STATUS_HELP },
        relay: { options: [...OUTBOX, 'url', 'batch', 'progress-every'], help: OUTBOX_RELAY_HELP },
      },
    },
  },
};

export type CommandLine =
  /** Print `text` and exit with `code`: help, or a usage error (on stderr, code 2). */
  | { kind: 'print'; text: string; stream: 'out' | 'err'; code: 0 | 2 }
  | { kind: 'version' }
  /** `command` is the words naming it: `dead-letters archived list`. */
  | { kind: 'run'; command: string; values: OptionValues; operands: string[] };

/** Reads the command line: which command, its options (checked against what it takes) and operands. */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  // Parsed loosely first: even a command line with an unknown option names the command whose help
  // the error message points to.
  const loose = parseArgs({
    args: [...argv],
    options: OPTIONS,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const helpWord = loose.positionals[0] === 'help';
  const words = helpWord ? loose.positionals.slice(1) : loose.positionals;
  let node: Node = TREE;
  const path: string[] = [];
  for (const word of words) {
    if (!('children' in node)) break;
    const child: Node | undefined = Object.hasOwn(node.children, word) ? node.children[word] : undefined;
    if (child === undefined) {
      const known = Object.keys(node.children).join(', ');
      const where = path.length === 0 ? 'commands' : path.join(' ');
      return usageError(`unknown command "${[...path, word].join(' ')}" (${where}: ${known})`, path);
    }
    node = child;
    path.push(word);
  }
  const operands = words.slice(path.length);

  let strict;
  try {
    strict = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    return usageError(optionError(loose.tokens, error), path);
  }
  const values: OptionValues = strict.values;
  if (values.help === true || helpWord) {
    if (operands.length > 0) return usageError(`unknown command "${words.join(' ')}"`, path);
    return { kind: 'print', text: node.help, stream: 'out', code: 0 };
  }
  if (values.version === true) return { kind: 'version' };
  // A group without a command: its help says which there are.
  if ('children' in node) return { kind: 'print', text: node.help, stream: 'err', code: 2 };

  const leaf: Leaf = node;
  const misplaced = (Object.keys(values) as OptionName[]).find((name) => !leaf.options.includes(name));
  if (misplaced !== undefined)
    return usageError(`option --${misplaced} does not apply to "${path.join(' ')}"`, path);
  if (operands.length > 0 && leaf.operands !== true)
    return usageError(`unexpected argument "${operands[0]}"`, path);
  return { kind: 'run', command: path.join(' '), values, operands };
}

/** A usage error: what is wrong, on one line, and which help to read. */
export function usageText(message: string, path: readonly string[]): string {
  return `tidings: ${message}\nRun "${['tidings', ...path].join(' ')} --help" for usage.\n`;
}

function usageError(message: string, path: readonly string[]): CommandLine {
  return { kind: 'print', text: usageText(message, path), stream: 'err', code: 2 };
}

/** What `parseArgs` tells of each argument it read (`tokens: true`), as far as the messages need. */
interface Token {
  kind: string;
  name?: string;
  rawName?: string;
  value?: string | undefined;
  inlineValue?: boolean | undefined;
}

/** Node's message for a rejected option is long and suggests `--`; this says what is wrong, briefly. */
function optionError(tokens: readonly Token[] | undefined, error: unknown): string {
  for (const token of tokens ?? []) {
    if (token.kind !== 'option' || token.name === undefined) continue;
    if (!Object.hasOwn(OPTIONS, token.name)) return `unknown option ${token.rawName}`;
    const type = OPTIONS[token.name as OptionName].type;
    if (type === 'boolean' && token.value !== undefined) return `option ${token.rawName} takes no value`;
    if (
      type === 'string' &&
      (token.value === undefined || (!token.inlineValue && token.value.startsWith('-')))
    )
      return `option ${token.rawName} needs a value`;
  }
  return (error as Error).message.split('\n')[0]!;
}
