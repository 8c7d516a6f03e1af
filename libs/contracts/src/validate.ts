import type { Static, TSchema } from 'typebox';
import Value from 'typebox/value';
import { ContractError } from './errors.js';

/** Returns the value typed, or throws a ContractError listing every violation with its path. */
export function assertValid<T extends TSchema>(schema: T, value: unknown, what: string): Static<T> {
  if (Value.Check(schema, value)) return value as Static<T>;
  const problems = Value.Errors(schema, value)
    .slice(0, 10)
    .map((e) => `${e.instancePath || '/'} ${e.message}`);
  throw new ContractError(`${what} does not match its contract: ${problems.join('; ')}`, problems);
}

export function isValid<T extends TSchema>(schema: T, value: unknown): value is Static<T> {
  return Value.Check(schema, value);
}
