import { InvalidContentError } from '../errors/invalid-content-error.js';

/**
 * The Standard Schema interface (standardschema.dev), which zod, valibot, arktype and others
 * implement. Copied as the spec asks, so tidings accepts any of them without depending on one.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

export type StandardResult<Output> =
  { readonly value: Output; readonly issues?: undefined } | { readonly issues: readonly StandardIssue[] };

export interface StandardIssue {
  readonly message: string;
  readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined;
}

/** Formats issues as `path: message; …` for an error message. */
export function describeIssues(issues: readonly StandardIssue[]): string {
  return issues
    .map((issue) => {
      const path = (issue.path ?? [])
        .map((part) => String(typeof part === 'object' ? part.key : part))
        .join('.');
      return path === '' ? issue.message : `${path}: ${issue.message}`;
    })
    .join('; ');
}

/** Whether `value` is a Standard Schema validator (it has `~standard.validate`). */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const standard = (value as { '~standard'?: { validate?: unknown } } | null)?.['~standard'];
  return typeof standard === 'object' && standard !== null && typeof standard.validate === 'function';
}

/**
 * Validates a consumed payload: resolves to the validator's output, or rejects with an
 * `InvalidContentError` naming `what` and the issues, so that the consumer dead-letters the message
 * (`invalid-content`) at once instead of repeating what can never pass.
 */
export async function validatePayload<Output>(
  validator: StandardSchemaV1<unknown, Output>,
  payload: unknown,
  what: string,
): Promise<Output> {
  const result = await validator['~standard'].validate(payload);
  if (result.issues !== undefined) {
    throw new InvalidContentError(`The payload of ${what} is invalid: ${describeIssues(result.issues)}`);
  }
  return result.value;
}
