import type { EventClass } from '../../dispatcher/event-types.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { InvalidContentError } from '../../errors/invalid-content-error.js';
import { PeerDependencyMissingError } from '../../errors/peer-dependency-missing-error.js';
import { assertKnownOptions, describeValue, optionKeys } from '../../internal/options.js';
import { requireOptional } from '../../internal/require-optional.js';
import { hydrate } from '../../messaging/hydrate.js';
import { describeValidationErrors, type ValidationErrorLike } from './describe-validation-errors.js';

/**
 * How `@Consume` validates an `event` class that carries class-validator decorators (a DTO): the
 * options of class-validator's `validate()` that tidings passes on.
 */
export interface DtoValidationOptions {
  /**
   * Strip the properties no decorator mentions: the handler sees only what the DTO declares.
   * @defaultValue true
   */
  whitelist?: boolean;
  /**
   * With `whitelist`, refuse (dead-letter) a payload with undeclared properties instead of stripping
   * them. Off by default so that a producer adding a field does not dead-letter its consumers' messages.
   * @defaultValue false
   */
  forbidNonWhitelisted?: boolean;
  /** Refuse a value of a class class-validator knows nothing about. @defaultValue true */
  forbidUnknownValues?: boolean;
  /** Skip the validators of properties that are null or undefined. @defaultValue false */
  skipMissingProperties?: boolean;
  /** Only the validators of these groups run. @defaultValue all */
  groups?: string[];
  /** Report only the first failed constraint of each property. @defaultValue false */
  stopAtFirstError?: boolean;
}

/** Validates a payload into a DTO instance, or rejects with an `InvalidContentError`. */
export type DtoValidator = (payload: unknown, what: string) => Promise<object>;

const OPTION_KEYS = optionKeys<DtoValidationOptions>({
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  skipMissingProperties: true,
  groups: true,
  stopAtFirstError: true,
});

/** Messages come from other services: declared properties only, extra ones stripped, not refused. */
const DEFAULTS: DtoValidationOptions = {
  whitelist: true,
  forbidNonWhitelisted: false,
  forbidUnknownValues: true,
};

/** The part of class-validator used here. */
interface ClassValidator {
  getMetadataStorage(): {
    getTargetValidationMetadatas(
      target: EventClass,
      schema: string,
      always: boolean,
      strictGroups: boolean,
    ): readonly unknown[];
  };
  validate(object: object, options: object): Promise<ValidationErrorLike[]>;
}

/** The part of class-transformer used here. */
interface ClassTransformer {
  plainToInstance(target: EventClass, plain: object): unknown;
}

/**
 * Where class-validator keeps its decorators' metadata: a global, so that every copy of the package
 * shares it. Absent, no class anywhere has a class-validator decorator, and the package is not loaded.
 */
const METADATA_STORAGE_GLOBAL = 'classValidatorMetadataStorage';

/** Checks the `validation` option of `@Consume`: `false`, or known class-validator options. */
export function assertDtoValidationOptions(value: unknown, where: string): void {
  if (value === undefined || value === false) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(
      `${where}: "validation" must be false or class-validator options, got ${describeValue(value)}`,
    );
  }
  assertKnownOptions(value, OPTION_KEYS, `${where}: "validation"`);
}

/**
 * The validator of `eventClass` when it is a DTO (it, or a class it extends, has class-validator
 * decorators); `undefined` otherwise, and then nothing changes: the payload is hydrated as before.
 * Decided once, when the consumer is registered. class-validator is loaded only when some class has its
 * decorators (its global metadata storage exists); class-transformer, when the class is a DTO.
 */
export function dtoValidatorFor(
  eventClass: EventClass,
  options: DtoValidationOptions | false | undefined,
  where: string,
): DtoValidator | undefined {
  if (options === false || !(METADATA_STORAGE_GLOBAL in globalThis)) return undefined;
  const classValidator = requireOptional('class-validator') as Partial<ClassValidator> | undefined;
  if (
    typeof classValidator?.validate !== 'function' ||
    typeof classValidator.getMetadataStorage !== 'function'
  ) {
    // Decorators exist but their package cannot be loaded from here: refuse to start rather than hand
    // handlers payloads nobody validated.
    throw new PeerDependencyMissingError('class-validator', `${where} (validating ${eventClass.name})`);
  }
  const storage = classValidator.getMetadataStorage();
  if (storage.getTargetValidationMetadatas(eventClass, '', false, false).length === 0) return undefined;
  const validate = classValidator.validate.bind(classValidator);
  const build = instanceBuilder(eventClass);
  const validatorOptions = {
    ...DEFAULTS,
    ...options,
    // The reason names properties and constraints, never values: the message may carry personal data.
    validationError: { target: false, value: false },
  };
  return async (payload, what) => {
    const instance = build(payload, what);
    const errors = await validate(instance, validatorOptions);
    if (errors.length > 0) {
      throw new InvalidContentError(
        `The payload of ${what} is not a valid ${eventClass.name}: ${describeValidationErrors(errors)}`,
      );
    }
    return instance;
  };
}

/**
 * Builds the instance to validate: the class's static `fromPayload` when it has one (its own rules),
 * else class-transformer's `plainToInstance` when installed (nested `@Type` objects become instances,
 * which `@ValidateNested` needs), else the keys copied onto the prototype, as without a DTO.
 */
function instanceBuilder(eventClass: EventClass): (payload: unknown, what: string) => object {
  const transformer = requireOptional('class-transformer') as Partial<ClassTransformer> | undefined;
  const plainToInstance = transformer?.plainToInstance;
  if (typeof plainToInstance !== 'function' || hasFromPayload(eventClass)) {
    return (payload) => hydrate(eventClass, payload);
  }
  return (payload, what) => {
    // plainToInstance maps an array to an array of instances and returns a primitive as it is.
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      throw new InvalidContentError(`The payload of ${what} must be a JSON object`);
    }
    try {
      return plainToInstance.call(transformer, eventClass, payload) as object;
    } catch (error) {
      throw new InvalidContentError(
        `The payload of ${what} cannot become a ${eventClass.name}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  };
}

function hasFromPayload(eventClass: EventClass): boolean {
  return typeof (eventClass as { fromPayload?: unknown }).fromPayload === 'function';
}
