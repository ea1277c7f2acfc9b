// How big a reliability run is: `npm run test:reliability` runs the full size the README's figures come
// from; .ci/run sets RELIABILITY_SIZE=ci for a smaller run that fits the CI budget and checks the same
// properties.

export type ReliabilitySize = 'full' | 'ci';

export const RELIABILITY_SIZE: ReliabilitySize = process.env['RELIABILITY_SIZE'] === 'ci' ? 'ci' : 'full';

/** `full` in a full run, `ci` in the CI-sized one. */
export function sized<T>(full: T, ci: T): T {
  return RELIABILITY_SIZE === 'full' ? full : ci;
}
