import { propertyProblem, type PropertyProblem } from './errors.js';
import type { PropertyDefinition } from './properties.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const NUMBER = /^-?\d+(\.\d+)?$/;
const EPOCH_MS = /^-?\d+$/;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const DAY_MS = 86_400_000;

/**
 * Milliseconds since the epoch of a date/datetime value as HubSpot takes them (epoch ms, or ISO 8601),
 * or undefined when it is neither. Also what search compares dates by.
 */
export function epochMillis(value: string): number | undefined {
  if (EPOCH_MS.test(value)) return Number(value);
  const iso = ISO_DATETIME.exec(value);
  if (!iso) return undefined;
  // A date alone, or a time without a zone, is read as UTC (Date.parse would read the latter as local time).
  const ms = Date.parse(iso[1] === undefined ? `${value}T00:00:00Z` : iso[4] === undefined ? `${value}Z` : value);
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls 2026-02-30 over to 2 March: a calendar date must read back as itself.
  if (iso[1] === undefined && new Date(ms).toISOString().slice(0, 10) !== value) return undefined;
  return ms;
}

/**
 * What HubSpot says about one property value, or undefined when it takes it. Codes: PROPERTY_DOESNT_EXIST,
 * READ_ONLY_VALUE, INVALID_EMAIL, INVALID_OPTION (HubSpot's own); INVALID_INTEGER for numbers (the error-handling
 * docs' example); INVALID_DATE with "… UTC, not midnight!" (quoted by third-party code). The texts of the number,
 * bool and date messages and the INVALID_DATETIME code are the sandbox's (unverified).
 */
export function checkValue(def: PropertyDefinition | undefined, name: string, value: string): PropertyProblem | undefined {
  if (!def) return propertyProblem(name, 'PROPERTY_DOESNT_EXIST', `Property "${name}" does not exist`);
  if (def.modificationMetadata.readOnlyValue) return propertyProblem(name, 'READ_ONLY_VALUE', `Property "${name}" is read-only`);
  if (value === '') return undefined; // an empty string clears a value, whatever the type
  if (name === 'email') return EMAIL.test(value) ? undefined : propertyProblem(name, 'INVALID_EMAIL', `Email address ${value} is invalid`);
  switch (def.type) {
    case 'number':
      return NUMBER.test(value) ? undefined : propertyProblem(name, 'INVALID_INTEGER', `${value} was not a valid number.`);
    case 'bool':
      return ['true', 'false'].includes(value) ? undefined : notAnOption(name, [value], ['true', 'false']);
    case 'enumeration': {
      const allowed = def.options.map((o) => o.value);
      const bad = value.split(';').filter((v) => !allowed.includes(v));
      return bad.length === 0 ? undefined : notAnOption(name, bad, allowed);
    }
    case 'date':
      return checkDate(name, value);
    case 'datetime':
      return epochMillis(value) === undefined ? propertyProblem(name, 'INVALID_DATETIME', `${value} is not a valid datetime: use epoch milliseconds or ISO 8601`) : undefined;
    default:
      return undefined;
  }
}

const notAnOption = (name: string, bad: string[], allowed: string[]) =>
  propertyProblem(name, 'INVALID_OPTION', `${bad.join(';')} was not one of the allowed options: [${allowed.join(', ')}]`);

/** A date property holds a day: HubSpot refuses any instant that is not midnight UTC. */
function checkDate(name: string, value: string): PropertyProblem | undefined {
  const ms = epochMillis(value);
  if (ms === undefined) return propertyProblem(name, 'INVALID_DATE', `${value} is not a valid date: use YYYY-MM-DD or epoch milliseconds at midnight UTC`);
  const into = ((ms % DAY_MS) + DAY_MS) % DAY_MS;
  if (into === 0) return undefined;
  const at = new Date(into);
  const time = `${at.getUTCHours()}:${at.getUTCMinutes()}:${at.getUTCSeconds()}.${at.getUTCMilliseconds()}`;
  return propertyProblem(name, 'INVALID_DATE', `${value} is at ${time} UTC, not midnight!`);
}
