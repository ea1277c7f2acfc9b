// The lifecycle of a benchmark run, shared by bench:amqp and bench:outbox: Ctrl-C and SIGTERM clean up
// and print what was measured so far; a watchdog gives up after `timeoutS` of measuring; and a wait for
// a quiet machine that does not count against that watchdog.
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RunControl {
  /** Logs `reason`, cleans up, prints the report so far (if any) and exits with `code`. */
  abort(reason: string, code: number): Promise<never>;
  /**
   * Waits while `busy()` says why the machine is busy, 30 s at a time, as long as the waiting budget
   * (`maxWaitS` for the whole run) lasts; the time waited extends the watchdog's deadline.
   */
  waitForQuiet(what: string, busy: () => Promise<string | undefined>): Promise<void>;
  /** Prints the report of the scenarios done so far: set once measuring has begun. */
  printReport: (() => void) | undefined;
}

export function runControl(options: {
  timeoutS: number;
  maxWaitS: number;
  log: (line: string) => void;
  cleanUp: () => Promise<void>;
}): RunControl {
  const { log, cleanUp } = options;
  const control: RunControl = {
    printReport: undefined,
    async abort(reason, code) {
      log(reason);
      await cleanUp();
      control.printReport?.();
      process.exit(code);
    },
    async waitForQuiet(what, busy) {
      for (;;) {
        const reason = await busy();
        if (reason === undefined) return;
        if (Date.now() >= quietUntil) {
          log(`${what}: ${reason}; the waiting budget is spent, measuring anyway`);
          return;
        }
        log(`${what}: ${reason}; waiting 30 s`);
        await sleep(30_000);
        deadline += 30_000;
      }
    },
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void control.abort(`${signal}: stopping`, 130));
  }
  // The watchdog counts measuring time only: time spent waiting for a quiet machine extends it.
  let deadline = Date.now() + options.timeoutS * 1000;
  setInterval(() => {
    if (Date.now() > deadline) void control.abort(`gave up after ${options.timeoutS} s of measuring`, 1);
  }, 1000).unref();
  const quietUntil = Date.now() + options.maxWaitS * 1000;
  return control;
}

/** The commit, and whether src/ had uncommitted changes: the library code this run measured. */
export function sourceState(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const changed = execFileSync('git', ['status', '--porcelain', 'src'], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line !== '').length;
    return changed === 0
      ? `commit ${commit}`
      : `commit ${commit} + uncommitted changes in ${changed} src file(s)`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}
