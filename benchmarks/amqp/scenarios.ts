// The scenarios by id, loaded on demand: a child process loads only the module of the case it runs.
import type { Scenario } from './harness.js';

export const SCENARIO_IDS = [
  'publish',
  'envelope',
  'consume',
  'consume-1000',
  'latency',
  'repeat-cycle',
] as const;

export async function loadScenario(id: string): Promise<Scenario> {
  switch (id) {
    case 'publish':
      return (await import('./publish.js')).scenario;
    case 'envelope':
      return (await import('./envelope.js')).scenario;
    case 'consume':
      return (await import('./consume.js')).consumeScenario(100);
    case 'consume-1000':
      return (await import('./consume.js')).consumeScenario(1000);
    case 'latency':
      return (await import('./latency.js')).scenario;
    case 'repeat-cycle':
      return (await import('./repeat-cycle.js')).scenario;
    default:
      throw new Error(`no such scenario: ${id} (${SCENARIO_IDS.join(', ')})`);
  }
}
