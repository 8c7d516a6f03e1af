import { addressKey, addressOf } from './addresses.js';
import { badRequest, notFound } from './errors.js';

export const SUPPRESSION_REASONS = ['BOUNCE', 'COMPLAINT'] as const;
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

export type SuppressedDestination = {
  emailAddress: string;
  reason: SuppressionReason;
  /** ms since the epoch, by the sandbox clock. */
  lastUpdateTime: number;
  /** Set when SES added the address itself (the bounce or complaint that caused it). */
  attributes?: { messageId?: string; feedbackId?: string };
};

export type ListQuery = { reasons?: SuppressionReason[]; startDate?: number; endDate?: number; nextToken?: string; pageSize?: number };

export const isReason = (v: unknown): v is SuppressionReason => typeof v === 'string' && (SUPPRESSION_REASONS as readonly string[]).includes(v);

/** Largest and default `PageSize` of ListSuppressedDestinations (SES documents 1–1000). */
export const MAX_PAGE_SIZE = 1_000;

/**
 * The account-level suppression list. Addresses are compared in lower case; a Put on a listed address replaces its
 * reason and time. Listed in address order; `NextToken` is the last address of the page (so paging survives
 * additions and removals between pages), encoded.
 */
export class SuppressionList {
  private readonly entries = new Map<string, SuppressedDestination>();

  put(emailAddress: string, reason: SuppressionReason, at: number, attributes?: SuppressedDestination['attributes']): SuppressedDestination {
    const address = addressOf(emailAddress);
    if (!address || address !== emailAddress.trim()) throw badRequest(`Invalid email address: ${JSON.stringify(emailAddress)}`);
    const entry: SuppressedDestination = { emailAddress: address, reason, lastUpdateTime: at, ...(attributes ? { attributes } : {}) };
    this.entries.set(addressKey(address), entry);
    return entry;
  }

  get(emailAddress: string): SuppressedDestination | undefined {
    return this.entries.get(addressKey(emailAddress));
  }

  /** The entry, or SES's NotFoundException. */
  require(emailAddress: string): SuppressedDestination {
    const entry = this.get(emailAddress);
    if (!entry) throw notFound(`Email address ${emailAddress} does not exist on your suppression list.`);
    return entry;
  }

  delete(emailAddress: string): void {
    this.require(emailAddress);
    this.entries.delete(addressKey(emailAddress));
  }

  list(query: ListQuery): { entries: SuppressedDestination[]; nextToken?: string } {
    const pageSize = query.pageSize ?? MAX_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) throw badRequest(`PageSize must be between 1 and ${MAX_PAGE_SIZE}.`);
    const after = query.nextToken === undefined ? undefined : decodeToken(query.nextToken);
    const matching = [...this.entries.entries()]
      .filter(([key, e]) => {
        if (after !== undefined && key <= after) return false;
        if (query.reasons?.length && !query.reasons.includes(e.reason)) return false;
        if (query.startDate !== undefined && e.lastUpdateTime < query.startDate) return false;
        if (query.endDate !== undefined && e.lastUpdateTime > query.endDate) return false;
        return true;
      })
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const page = matching.slice(0, pageSize);
    const last = page.at(-1);
    return { entries: page.map(([, e]) => e), ...(matching.length > pageSize && last ? { nextToken: encodeToken(last[0]) } : {}) };
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}

const encodeToken = (key: string) => Buffer.from(JSON.stringify({ after: key }), 'utf8').toString('base64url');

function decodeToken(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string') return parsed.after;
  } catch {
    // falls through to the error below
  }
  throw badRequest('The NextToken is not valid.');
}
