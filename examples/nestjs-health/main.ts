// A Nest application with a terminus health check over tidings (no HTTP server here: the controller is
// called directly, as GET /health would call it). Up while running; down once the transport is gone.
import { ServiceUnavailableException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TIDINGS_TRANSPORT } from 'tidings/nestjs';
import type { Transport } from 'tidings';
import { AppModule } from './app.module.js';
import { HealthController } from './health.controller.js';

const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error'] });

/** GET /health: terminus's body, 200 or 503. */
async function probe(): Promise<string> {
  try {
    const body = await app.get(HealthController).check();
    return `200 ${JSON.stringify({ status: body.status, tidings: body.details['tidings']?.status })}`;
  } catch (error) {
    if (!(error instanceof ServiceUnavailableException)) throw error;
    const body = error.getResponse() as { status: string; error: Record<string, { message?: string }> };
    return `503 ${JSON.stringify({ status: body.status, message: body.error['tidings']?.message })}`;
  }
}

console.log(await probe());
await app.get<Transport>(TIDINGS_TRANSPORT).close(); // the broker connection is gone
console.log(await probe());
await app.close();
