import { assertKnownOptions, integerOption, optionKeys } from './options.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';

/**
 * Delays between attempts: exponential, with jitter.
 *
 * @inline
 */
export interface BackoffOptions {
  /** @defaultValue 100 */
  initialDelayMs?: number;
  /** @defaultValue 10000 */
  maxDelayMs?: number;
  /** @defaultValue 2 */
  factor?: number;
  /**
   * Fraction of each delay drawn at random, so that many clients that lost the same broker do not
   * reconnect in lockstep: 0.5 means a delay anywhere between 50 % and 100 % of the nominal one.
   * @defaultValue 0.5
   */
  jitter?: number;
}

const OPTION_KEYS = optionKeys<BackoffOptions>({
  initialDelayMs: true,
  maxDelayMs: true,
  factor: true,
  jitter: true,
});

/** Exponential backoff with jitter: `delayMs(0)` is the first retry's delay. */
export class Backoff {
  readonly #initial: number;
  readonly #max: number;
  readonly #factor: number;
  readonly #jitter: number;

  constructor(options: BackoffOptions = {}, where = 'backoff') {
    assertKnownOptions(options, OPTION_KEYS, where);
    this.#initial = integerOption(options.initialDelayMs, 100, `${where}.initialDelayMs`, 0);
    this.#max = integerOption(options.maxDelayMs, 10_000, `${where}.maxDelayMs`, 0);
    this.#factor = options.factor ?? 2;
    this.#jitter = options.jitter ?? 0.5;
    if (!(this.#factor >= 1)) throw new InvalidArgumentError(`${where}.factor must be a number >= 1`);
    if (!(this.#jitter >= 0 && this.#jitter <= 1)) {
      throw new InvalidArgumentError(`${where}.jitter must be a number from 0 to 1`);
    }
  }

  delayMs(attempt: number): number {
    const nominal = Math.min(this.#max, this.#initial * this.#factor ** Math.min(attempt, 64));
    return Math.round(nominal * (1 - this.#jitter * Math.random()));
  }
}
