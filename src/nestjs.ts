// The public API of tidings/nestjs: the Nest module (@nestjs/common and @nestjs/core are optional peer
// dependencies). Only this entry point imports them.

/**
 * tidings in a NestJS application: `TidingsModule.forRoot()` provides the dispatcher, the flusher, the
 * bridge and the transport; `@OnEvent` methods of providers are registered and `@Consume` methods
 * consume their queue, found by discovery at bootstrap (with the defaults of their module's
 * `TidingsModule.forFeature()`, and Nest's guards and interceptors only when they ask for them); consumers, the outbox relay and the transport
 * start with the application and stop with it, in order.
 *
 * @module tidings/nestjs
 */

export { TidingsModule } from './adapters/nestjs/tidings-module.js';
export type { ForwardRoute } from './adapters/nestjs/forward-routes.js';
export type { ConsumerDefaults, TidingsFeatureOptions } from './adapters/nestjs/tidings-feature-options.js';
export type {
  TidingsModuleAsyncOptions,
  TidingsModuleOptions,
} from './adapters/nestjs/tidings-module-options.js';
export { Consume } from './adapters/nestjs/consume.js';
export type { ConsumeDecorator, ConsumeQueueOptions } from './adapters/nestjs/consume.js';
export type { DtoValidationOptions } from './adapters/nestjs/dto-validation.js';
export type { TidingsRequest } from './adapters/nestjs/discovered-provider.js';
export { TIDINGS_TRANSPORT } from './adapters/nestjs/tokens.js';
export { TransactionHostUnitOfWork } from './adapters/nestjs/transaction-host-unit-of-work.js';
export type {
  TransactionHostLike,
  TransactionHostUnitOfWorkOptions,
} from './adapters/nestjs/transaction-host-unit-of-work.js';
// The same decorator as `tidings`' own, re-exported so that a Nest service needs one import.
export { OnEvent } from './dispatcher/on-event.js';
export type { OnEventDecorator, OnEventOptions } from './dispatcher/on-event.js';
export { TidingsHealthIndicator } from './adapters/nestjs/tidings-health-indicator.js';
export type {
  TidingsHealthCheckOptions,
  TidingsHealthDetails,
  TidingsHealthIndicatorResult,
} from './adapters/nestjs/tidings-health-indicator.js';
