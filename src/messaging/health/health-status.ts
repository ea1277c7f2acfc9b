/**
 * What a probe decides on: `'up'` when the component does its work, `'down'` when it does not (each
 * component's `health()` says which facts make it down). The values `@nestjs/terminus` uses.
 */
export type HealthStatus = 'up' | 'down';
