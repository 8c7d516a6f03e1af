/**
 * Checks an email's variables against the catalog (and the caller's links and footer) before anything is rendered.
 * All the problems of one input are reported together, each saying what to fix. Error messages name the variable and
 * the kind of value received, never a member's text (it would end up in logs).
 */
import { EMAIL_TEMPLATES, type EmailTopic, EMAIL_TOPICS } from '@peak/contracts';
import { templateSpec, URL_MAX_LENGTH, type TemplateSpec, type TemplateValues, type VariableSpec } from './catalog.js';
import { TemplateError, type TemplateIssue } from './errors.js';
import { charLength, cleanBlock, cleanLine } from './format.js';

/** What the caller adds to the variables: the member's links and the studio's footer. */
export interface RenderInput {
  /** One-click unsubscribe from this email's topic (absolute http(s) URL). */
  unsubscribeUrl: string;
  /** The member's email preferences page (absolute http(s) URL). */
  preferencesUrl: string;
  /** The studio's display name as members know it, e.g. "Peak Fitness Downtown". */
  locationName: string;
  /** The studio's physical postal address, one line (CAN-SPAM). */
  postalAddress: string;
  /** The request's topic, when it isn't the template's usual one (names what the unsubscribe link opts out of). */
  topic?: EmailTopic;
}

export const LOCATION_NAME_MAX_LENGTH = 100;
export const POSTAL_ADDRESS_MAX_LENGTH = 200;

const describeValue = (value: unknown): string => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `a string (${charLength(value)} characters)`;
  if (typeof value === 'number') return Number.isFinite(value) ? `the number ${value}` : `the number ${String(value)}`;
  return `a value of type ${typeof value}`;
};

const quote = (name: string) => JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);

function describeSpec(spec: VariableSpec): string {
  switch (spec.type) {
    case 'text':
      return `text of at most ${spec.maxLength} characters`;
    case 'integer':
      return `a whole number from ${spec.min} to ${spec.max}`;
    case 'url':
      return `an absolute http(s) URL of at most ${URL_MAX_LENGTH} characters`;
  }
}

/**
 * An absolute http(s) URL without credentials, as the WHATWG parser serialises it (so what lands in an href is
 * exactly what the parser accepted); undefined when it isn't one. `javascript:`, `data:` and relative links are refused.
 */
export function safeUrl(value: string): string | undefined {
  if (charLength(value) > URL_MAX_LENGTH || /[\s\p{Cc}]/u.test(value)) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return undefined;
  }
  if ((parsed.protocol !== 'https:' && parsed.protocol !== 'http:') || parsed.username !== '' || parsed.password !== '' || parsed.hostname === '') return undefined;
  return parsed.href;
}

type Checked = { ok: true; value: string | number | null } | { ok: false; issue: TemplateIssue };

function checkValue(name: string, spec: VariableSpec, raw: unknown): Checked {
  const label = `variable ${quote(name)}`;
  const missing = (why: string): Checked => ({
    ok: false,
    issue: { code: 'MISSING_VARIABLE', variable: name, message: `${label} is ${why}; it must be ${describeSpec(spec)}: ${spec.description}` },
  });
  const bad = (why: string): Checked => ({ ok: false, issue: { code: 'BAD_VARIABLE', variable: name, message: `${label} ${why}` } });

  if (raw === undefined) return spec.required ? missing('required but missing') : { ok: true, value: null };
  switch (spec.type) {
    case 'integer': {
      if (typeof raw !== 'number') return bad(`must be ${describeSpec(spec)} (a JSON number), got ${describeValue(raw)}`);
      if (!Number.isInteger(raw) || raw < spec.min || raw > spec.max) return bad(`must be ${describeSpec(spec)}, got ${describeValue(raw)}`);
      return { ok: true, value: raw };
    }
    case 'text': {
      if (typeof raw !== 'string') return bad(`must be ${describeSpec(spec)}, got ${describeValue(raw)}`);
      const length = charLength(raw);
      if (length > spec.maxLength) return bad(`is ${length} characters long; at most ${spec.maxLength} are allowed, shorten it`);
      const value = spec.multiline ? cleanBlock(raw) : cleanLine(raw);
      if (value === '') return spec.required ? missing('blank') : { ok: true, value: null };
      return { ok: true, value };
    }
    case 'url': {
      if (typeof raw !== 'string') return bad(`must be ${describeSpec(spec)}, got ${describeValue(raw)}`);
      if (raw.trim() === '') return spec.required ? missing('blank') : { ok: true, value: null };
      const value = safeUrl(raw.trim());
      if (value === undefined) return bad(`must be ${describeSpec(spec)}, with no spaces or credentials (got ${describeValue(raw)})`);
      return { ok: true, value };
    }
  }
}

/** The template's spec, or UNKNOWN_TEMPLATE naming the ones that exist. */
export function requireSpec(template: string): TemplateSpec {
  const spec = templateSpec(template);
  if (spec === undefined)
    throw new TemplateError('UNKNOWN_TEMPLATE', `unknown email template ${quote(template)}; the templates are ${EMAIL_TEMPLATES.join(', ')}`, template);
  return spec;
}

/**
 * The variables of one email, checked and normalised: single-line text on one line (no CR/LF or control characters),
 * blocks with `\n` line breaks, URLs as parsed, optional ones absent → null. Unknown variable names are refused too
 * (a typo in the planner would otherwise silently drop personalisation).
 */
export function validateVariables(template: string, variables: Readonly<Record<string, unknown>>): { spec: TemplateSpec; values: TemplateValues } {
  const spec = requireSpec(template);
  if (typeof variables !== 'object' || variables === null || Array.isArray(variables))
    throw TemplateError.fromIssues(template, [{ code: 'BAD_VARIABLE', variable: '', message: `variables must be an object of name → value, got ${describeValue(variables)}` }]);

  const issues: TemplateIssue[] = [];
  const values: Record<string, string | number | null> = {};
  for (const [name, varSpec] of Object.entries(spec.variables)) {
    const checked = checkValue(name, varSpec, Object.hasOwn(variables, name) ? variables[name] : undefined);
    if (checked.ok) values[name] = checked.value;
    else issues.push(checked.issue);
  }
  const known = Object.keys(spec.variables);
  for (const name of Object.keys(variables)) {
    if (!Object.hasOwn(spec.variables, name))
      issues.push({ code: 'BAD_VARIABLE', variable: name, message: `unknown variable ${quote(name)}; this template takes ${known.join(', ')}` });
  }
  if (issues.length === 0 && spec.check) issues.push(...spec.check(values));
  if (issues.length > 0) throw TemplateError.fromIssues(template, issues);
  return { spec, values };
}

/** The caller's links and footer, checked the same way (a fault here is the notifier's config or data, not the planner's). */
export function validateRenderInput(template: string, input: RenderInput): RenderInput {
  const issues: TemplateIssue[] = [];
  const field = (name: keyof RenderInput) => `links.${name}`;
  const link = (name: 'unsubscribeUrl' | 'preferencesUrl'): string => {
    const raw: unknown = input?.[name];
    const value = typeof raw === 'string' ? safeUrl(raw.trim()) : undefined;
    if (value === undefined)
      issues.push({
        code: raw === undefined || raw === '' ? 'MISSING_VARIABLE' : 'BAD_VARIABLE',
        variable: field(name),
        message: `${field(name)} must be an absolute http(s) URL of at most ${URL_MAX_LENGTH} characters, got ${describeValue(raw)}`,
      });
    return value ?? '';
  };
  const line = (name: 'locationName' | 'postalAddress', max: number): string => {
    const raw: unknown = input?.[name];
    const value = typeof raw === 'string' ? cleanLine(raw) : '';
    if (value === '' || charLength(value) > max)
      issues.push({
        code: value === '' && (raw === undefined || typeof raw === 'string') ? 'MISSING_VARIABLE' : 'BAD_VARIABLE',
        variable: field(name),
        message: `${field(name)} must be non-blank text of at most ${max} characters, got ${describeValue(raw)}`,
      });
    return value;
  };
  const out: RenderInput = {
    unsubscribeUrl: link('unsubscribeUrl'),
    preferencesUrl: link('preferencesUrl'),
    locationName: line('locationName', LOCATION_NAME_MAX_LENGTH),
    postalAddress: line('postalAddress', POSTAL_ADDRESS_MAX_LENGTH),
    ...(input?.topic === undefined ? {} : { topic: input.topic }),
  };
  if (out.topic !== undefined && !(EMAIL_TOPICS as readonly string[]).includes(out.topic))
    issues.push({ code: 'BAD_VARIABLE', variable: field('topic'), message: `links.topic must be one of ${EMAIL_TOPICS.join(', ')}` });
  if (issues.length > 0) throw TemplateError.fromIssues(template, issues);
  return out;
}
