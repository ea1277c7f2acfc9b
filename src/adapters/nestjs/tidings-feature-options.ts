import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { assertKnownOptions, describeValue, optionKeys } from '../../internal/options.js';
import { resolveConsumerOptions } from '../../messaging/consumer/consumer-options.js';
import type { ConsumeQueueOptions } from './consume.js';
import { assertDistinctRoutes, assertForwardRoutes, type ForwardRoute } from './forward-routes.js';

/**
 * The `@Consume` options a feature module may set for all its consumers: the consumer settings, not
 * what names a queue or shapes its payload.
 */
export type ConsumerDefaults = Pick<
  ConsumeQueueOptions,
  | 'prefetch'
  | 'maxAttempts'
  | 'repeatDelaysMs'
  | 'repeatCounterTimeoutMs'
  | 'queueType'
  | 'messageTtlMs'
  | 'maxContentBytes'
  | 'maxHeaderBytes'
  | 'enhancers'
>;

/**
 * The options of `TidingsModule.forFeature()`: what belongs to one feature module.
 *
 * @example
 * TidingsModule.forFeature({
 *   consumerDefaults: { maxAttempts: 3, repeatDelaysMs: [1000], queueType: 'quorum' },
 *   forward: [{ event: InvoiceIssued, routingKey: 'invoice.issued' }],
 * })
 */
export interface TidingsFeatureOptions {
  /**
   * Options of every `@Consume` method of the providers and controllers this module declares (not of
   * the modules it imports); an option the decorator gives wins over its default here.
   * @defaultValue {}: the `Consumer` defaults
   */
  consumerDefaults?: ConsumerDefaults;
  /**
   * Event classes the root module's `Bridge` publishes when they are dispatched, as `forward` of
   * `forRoot` (and through its outbox, when it has one). An event class routed to the same routing key
   * twice, here or by another module, is refused at application start.
   * @defaultValue []
   */
  forward?: readonly ForwardRoute[];
}

const OPTION_KEYS = optionKeys<TidingsFeatureOptions>({ consumerDefaults: true, forward: true });

const DEFAULT_KEYS = optionKeys<ConsumerDefaults>({
  prefetch: true,
  maxAttempts: true,
  repeatDelaysMs: true,
  repeatCounterTimeoutMs: true,
  queueType: true,
  messageTtlMs: true,
  maxContentBytes: true,
  maxHeaderBytes: true,
  enhancers: true,
});

/** Checks the options, naming the first bad one, when `forFeature()` is called. */
export function assertTidingsFeatureOptions(options: TidingsFeatureOptions, where: string): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`${where}: options must be an object, got ${describeValue(options)}`);
  }
  assertKnownOptions(options, OPTION_KEYS, where);
  const defaults = options.consumerDefaults;
  if (defaults !== undefined) {
    assertKnownOptions(defaults, DEFAULT_KEYS, `${where}: consumerDefaults`);
    const { enhancers, ...consumerOptions } = defaults;
    if (enhancers !== undefined && typeof enhancers !== 'boolean') {
      throw new InvalidArgumentError(
        `${where}: consumerDefaults.enhancers must be a boolean, got ${describeValue(enhancers)}`,
      );
    }
    try {
      // The Consumer's own checks, on a stand-in queue: a bad default fails here, where it is written,
      // not at application start on the first method that takes it.
      resolveConsumerOptions({ queue: 'defaults', bindingKeys: ['defaults.check'], ...consumerOptions });
    } catch (error) {
      if (!(error instanceof InvalidArgumentError)) throw error;
      const message = error.message.replace(/^Consumer: /, '');
      throw new InvalidArgumentError(`${where}: consumerDefaults.${message}`, { cause: error });
    }
  }
  const forward = options.forward ?? [];
  assertForwardRoutes(forward, where);
  assertDistinctRoutes([{ owner: where, routes: forward }]);
}
