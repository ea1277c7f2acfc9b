// A health endpoint with @nestjs/terminus: TidingsHealthIndicator checks the transport, the @Consume
// consumers and the outbox relay's lag. (Constructor parameters name their token with @Inject(...):
// tsx, which runs this example, emits no decorator metadata; with `nest build` the types are enough.)
// #region controller
import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { TidingsHealthIndicator } from 'tidings/nestjs';

@Controller('health')
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(TidingsHealthIndicator) private readonly tidings: TidingsHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    // Down (503) when the transport is not connected, a consumer does not consume, or the relay is
    // stopped or its oldest unpublished row is older than 30 s.
    return this.health.check([() => this.tidings.isHealthy('tidings', { maxRelayLagMs: 30_000 })]);
  }
}
// #endregion
