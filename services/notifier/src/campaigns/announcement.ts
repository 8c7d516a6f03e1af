/**
 * A location announcement: the input of the on-demand `location_news` campaign (a JSON file for the CLI, a request
 * body for an API). Its id is the campaign's period, so planning the same announcement twice emails nobody twice.
 */
import { readFile } from 'node:fs/promises';
import Type, { type Static } from 'typebox';
import Value from 'typebox/value';

export const announcementSchema = Type.Object(
  {
    id: Type.String({
      minLength: 1,
      maxLength: 64,
      pattern: '^[a-z0-9][a-z0-9_-]*$',
      description: 'Announcement id (lower-case letters, digits, - and _): a member gets one email per id, whatever is replayed',
    }),
    locationId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$', description: 'The studio: members whose home studio it is get it' }),
    title: Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\r\\n]*\\S[^\\r\\n]*$', description: 'Headline, one line (it is in the subject: "<studio>: <title>")' }),
    body: Type.String({ minLength: 1, maxLength: 2000, pattern: '\\S', description: 'The announcement, plain text; a blank line separates paragraphs (escaped when rendered)' }),
    ctaUrl: Type.Optional(Type.String({ maxLength: 2000, pattern: '^https?://[^\\s]+$', description: 'A link for a button under the announcement (http or https)' })),
    ctaLabel: Type.Optional(Type.String({ minLength: 1, maxLength: 40, pattern: '^[^\\r\\n]*\\S[^\\r\\n]*$', description: 'Label of that button (default "Find out more"); only with ctaUrl' })),
    expiresAt: Type.Optional(Type.String({ format: 'date-time', description: 'Not worth sending after this instant (default: 3 days after the as-of day)' })),
  },
  { additionalProperties: false, title: 'announcement' },
);
export type Announcement = Static<typeof announcementSchema>;

/** The announcement cannot be used; the message says what to fix. */
export class AnnouncementError extends Error {
  override name = 'AnnouncementError';
}

/** Checks a parsed value against the schema, naming every problem. */
export function parseAnnouncement(value: unknown, where = 'the announcement'): Announcement {
  if (Value.Check(announcementSchema, value)) {
    if (value.ctaLabel !== undefined && value.ctaUrl === undefined) throw new AnnouncementError(`${where}: "ctaLabel" is given without "ctaUrl": add the link or drop the label`);
    if (value.expiresAt !== undefined && Number.isNaN(Date.parse(value.expiresAt))) throw new AnnouncementError(`${where}: "expiresAt" is not an instant`);
    return value;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AnnouncementError(`${where} must be a JSON object { "id", "locationId", "title", "body" }`);
  }
  const problems = [...new Set(Value.Errors(announcementSchema, value).map((e) => describeError(e.instancePath, e.message, e.params)))];
  throw new AnnouncementError(`${where} is not a valid announcement: ${problems.join('; ')} (expected { "id", "locationId", "title", "body", optional "ctaUrl", "ctaLabel", "expiresAt" })`);
}

function describeError(path: string, message: string, params: unknown): string {
  const p = params as { requiredProperties?: string[]; additionalProperties?: string[] } | undefined;
  if (p?.requiredProperties?.length) return `missing ${p.requiredProperties.map((k) => JSON.stringify(k)).join(', ')}`;
  if (p?.additionalProperties?.length) return `unknown field ${p.additionalProperties.map((k) => JSON.stringify(k)).join(', ')}`;
  return `${path.replace(/^\//, '') || 'the value'} ${message}`;
}

/** Reads and checks an announcement file. */
export async function loadAnnouncement(file: string): Promise<Announcement> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AnnouncementError(code === 'ENOENT' ? `announcement file ${file} does not exist` : `announcement file ${file} cannot be read (${code ?? (err as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new AnnouncementError(`announcement file ${file} is not JSON: ${(err as Error).message}`);
  }
  return parseAnnouncement(value, `announcement file ${file}`);
}
