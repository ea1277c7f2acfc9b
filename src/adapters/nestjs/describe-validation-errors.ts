/** The part of class-validator's `ValidationError` a reason is made of. */
export interface ValidationErrorLike {
  /** Absent when the value as a whole fails (`forbidUnknownValues`: an object of no known class). */
  readonly property?: string | undefined;
  readonly constraints?: Readonly<Record<string, string>> | undefined;
  readonly children?: readonly ValidationErrorLike[] | undefined;
}

/**
 * Formats class-validator's errors as `path: message; …`, one entry per failed constraint, nested
 * errors flattened to a dotted path (`lines.0.sku: sku must be a string`): the dead letter's error
 * message must say what to fix without the tree, which a header cannot carry.
 */
export function describeValidationErrors(errors: readonly ValidationErrorLike[]): string {
  const entries: string[] = [];
  const visit = (error: ValidationErrorLike, parent: string): void => {
    const property = error.property ?? '';
    const path = parent === '' || property === '' ? parent + property : `${parent}.${property}`;
    for (const message of Object.values(error.constraints ?? {})) {
      entries.push(path === '' ? message : `${path}: ${message}`);
    }
    for (const child of error.children ?? []) visit(child, path);
  };
  for (const error of errors) visit(error, '');
  return entries.join('; ');
}
