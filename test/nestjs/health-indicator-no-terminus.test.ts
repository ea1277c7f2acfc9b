// Without @nestjs/terminus installed (requireOptional finds nothing), the module still works and only
// a check fails, with a typed error naming the package to install.
import { Test } from '@nestjs/testing';
import { describe, expect, it, vi } from 'vitest';
import { MemoryBroker, MemoryTransport, PeerDependencyMissingError } from '../../src/index.js';
import { TidingsHealthIndicator, TidingsModule } from '../../src/nestjs.js';

vi.mock('../../src/internal/require-optional.js', () => ({ requireOptional: () => undefined }));

describe('TidingsHealthIndicator without @nestjs/terminus', () => {
  it('rejects the check with PeerDependencyMissingError; the module is unaffected', async () => {
    const transport = new MemoryTransport({ broker: new MemoryBroker() });
    const module = await Test.createTestingModule({ imports: [TidingsModule.forRoot({ transport })] })
      .setLogger({ log() {}, warn() {}, error() {} })
      .compile();
    await module.init();
    try {
      const error = await module
        .get(TidingsHealthIndicator)
        .isHealthy()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PeerDependencyMissingError);
      expect(error).toMatchObject({
        code: 'ERR_TIDINGS_PEER_DEPENDENCY_MISSING',
        packageName: '@nestjs/terminus',
        message: 'TidingsHealthIndicator needs the package "@nestjs/terminus": npm install @nestjs/terminus',
      });
      expect(transport.health().status).toBe('up');
    } finally {
      await module.close();
    }
  });
});
