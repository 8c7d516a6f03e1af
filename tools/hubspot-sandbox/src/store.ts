import { defaultListedProperties } from './default-properties.js';
import { contactExists, duplicateIds, HubSpotError, invalidProperties, nonUniqueIdProperty, type PropertyProblem } from './errors.js';
import { PropertyCatalog } from './properties.js';
import { searchContacts, type SearchRequest } from './search.js';
import { checkValue } from './validate.js';

/** A contact as the objects API returns it. */
export type PublicContact = { id: string; properties: Record<string, string | null>; createdAt: string; updatedAt: string; archived: false };
export type UpsertedContact = PublicContact & { new: boolean; objectWriteTraceId?: string };

export type UpsertInput = { idProperty?: string; id: string; properties: Record<string, string>; objectWriteTraceId?: string };
export type UpsertFailure = { input: UpsertInput; error: HubSpotError };
/** Per-input failures only come back when the batch was partial (see `upsert`); otherwise they are thrown. */
export type UpsertOutcome = { results: UpsertedContact[]; failures: UpsertFailure[] };
/** A failure to force on one input (fault injection), given the input's normalised id. */
export type InputRejection = (id: string, input: UpsertInput) => HubSpotError | undefined;

/** A stored contact; search reads these. */
export type Contact = { id: string; properties: Map<string, string>; createdAt: string; updatedAt: string };

const SYSTEM_PROPERTIES = ['hs_object_id', 'createdate', 'lastmodifieddate'];

/** The sandbox's CRM: contact properties and contacts, in memory, with HubSpot's validation rules. */
export class ContactStore {
  readonly catalog: PropertyCatalog;
  private readonly contacts = new Map<string, Contact>();
  /** Contacts by the value of each unique property (email and hasUniqueValue properties). */
  private readonly unique = new Map<string, Map<string, Contact>>();
  private lastId = 0;

  constructor(private readonly now: () => Date = () => new Date()) {
    this.catalog = new PropertyCatalog(now);
  }

  get contactCount(): number {
    return this.contacts.size;
  }

  /** Back to a new, empty account. */
  reset(): void {
    this.contacts.clear();
    this.unique.clear();
    this.lastId = 0;
    this.catalog.reset();
  }

  /**
   * Batch upsert: each input is found by its `idProperty` value (email or another unique property), updated if
   * it exists and created otherwise. A bad idProperty or duplicate ids fail the whole batch. Other per-input
   * problems (invalid values, a unique value owned by another contact, an injected failure) are reported per
   * input when **every** input carries an `objectWriteTraceId` — the valid ones are written — and otherwise fail
   * the whole batch with nothing written. HubSpot documents this for batch create; that upsert behaves the same is
   * probable but unverified (research §1: hubspot-api-ruby#403, a third-party live probe, rudder's handler).
   */
  upsert(inputs: UpsertInput[], reject: InputRejection = () => undefined): UpsertOutcome {
    const keys = inputs.map((i) => this.uniqueProperty(i.idProperty));
    const ids = inputs.map((input, i) => normalize(keys[i] ?? '', input.id));
    const seen = ids.map((id, i) => `${keys[i]}=${id}`);
    const duplicates = [...new Set(ids.filter((_, i) => seen.indexOf(seen[i] ?? '') !== i))];
    if (duplicates.length > 0) throw duplicateIds(duplicates);

    const claimed = new Map<string, number>(); // unique values this batch writes, by input, to catch two inputs claiming one
    const errors = inputs.map((input, i) => {
      const key = keys[i] ?? '';
      const id = ids[i] ?? '';
      const problems = Object.entries({ ...input.properties, [key]: id })
        .map(([name, value]) => checkValue(this.catalog.get(name), name, value))
        .filter((p): p is PropertyProblem => p !== undefined);
      if (problems.length > 0) return { problems, error: invalidProperties(problems) };
      const forced = reject(id, input);
      if (forced) return { error: forced };
      const conflict = this.uniqueConflict(key, id, input.properties, i, claimed);
      return conflict ? { error: conflict } : undefined;
    });

    const partial = inputs.every((i) => i.objectWriteTraceId !== undefined);
    const failed = errors.flatMap((e, i) => (e ? [{ input: inputs[i] as UpsertInput, ...e }] : []));
    const [first] = failed;
    if (first && !partial) {
      // Only invalid values: one answer listing them all, as HubSpot does for one invalid input.
      if (failed.every((f) => f.problems)) throw invalidProperties(failed.flatMap((f) => f.problems ?? []));
      throw first.error;
    }

    const at = this.now().toISOString();
    const results = inputs.flatMap((input, i) => (errors[i] ? [] : [this.write(input, keys[i] ?? '', ids[i] ?? '', at)]));
    return { results, failures: failed.map(({ input, error }) => ({ input, error })) };
  }

  /** One page of contacts in id order; `after` is the id to start from (the previous page's `paging.next.after`). */
  list(limit: number, after: string | undefined, properties: string[] | undefined): { results: PublicContact[]; nextAfter?: string } {
    if (after !== undefined && !/^\d+$/.test(after)) throw new HubSpotError(400, 'VALIDATION_ERROR', `Invalid after: '${after}' is not a paging cursor from this API`);
    const all = [...this.contacts.values()].filter((c) => after === undefined || Number(c.id) >= Number(after));
    const page = all.slice(0, limit);
    const next = all[limit];
    return { results: page.map((c) => this.toPublic(c, properties ?? defaultListedProperties)), nextAfter: next?.id };
  }

  /** Reads contacts by record id, or by a unique property; ids that match nothing are returned as `missing`. */
  batchRead(idProperty: string | undefined, ids: string[], properties: string[] | undefined): { results: PublicContact[]; missing: string[] } {
    const key = idProperty === undefined || idProperty === 'hs_object_id' ? 'hs_object_id' : this.uniqueProperty(idProperty);
    const results: PublicContact[] = [];
    const missing: string[] = [];
    for (const id of ids) {
      const found = key === 'hs_object_id' ? this.contacts.get(id) : this.findBy(key, normalize(key, id));
      if (found) results.push(this.toPublic(found, properties ?? defaultListedProperties));
      else missing.push(id);
    }
    return { results, missing };
  }

  /** POST …/contacts/search: see search.ts. */
  search(request: SearchRequest): { total: number; results: PublicContact[]; nextAfter?: string } {
    const found = searchContacts(this.contacts.values(), this.catalog, request);
    return { ...found, results: found.results.map((c) => this.toPublic(c, request.properties ?? defaultListedProperties)) };
  }

  /** Every contact with every property, newest first: for the sandbox's own page. */
  snapshot(max: number): { id: string; properties: Record<string, string> }[] {
    return [...this.contacts.values()]
      .reverse()
      .slice(0, max)
      .map((c) => ({ id: c.id, properties: Object.fromEntries(c.properties) }));
  }

  private write(input: UpsertInput, key: string, id: string, at: string): UpsertedContact {
    const existing = this.findBy(key, id);
    const contact = existing ?? this.create(at);
    const written = { ...input.properties, [key]: id };
    let changed = false;
    for (const [name, value] of Object.entries(written)) {
      const stored = normalize(name, value);
      if (contact.properties.get(name) !== stored) {
        this.setValue(contact, name, stored);
        changed = true;
      }
    }
    // An unchanged record keeps its modification date, as in HubSpot.
    if (existing && changed) {
      contact.updatedAt = at;
      contact.properties.set('lastmodifieddate', at);
    }
    const traced = input.objectWriteTraceId === undefined ? {} : { objectWriteTraceId: input.objectWriteTraceId };
    return { ...this.toPublic(contact, [...Object.keys(written), ...SYSTEM_PROPERTIES]), new: !existing, ...traced };
  }

  /**
   * A unique value (e.g. email) this input would take from another contact, or that an earlier input of the same
   * batch already claims: HubSpot's 409 "Contact already exists" text. Whether an upsert keyed on a custom id
   * answers this per input or for the whole batch is unverified (research §4); the sandbox follows the 207 rule.
   */
  private uniqueConflict(key: string, id: string, properties: Record<string, string>, index: number, claimed: Map<string, number>): HubSpotError | undefined {
    const target = this.findBy(key, id);
    for (const [name, value] of Object.entries({ ...properties, [key]: id })) {
      if (!this.index(name) || value === '') continue;
      const stored = normalize(name, value);
      const owner = name === key ? undefined : this.findBy(name, stored);
      if (owner && owner !== target) return contactExists(owner.id);
      const claim = `${name}=${stored}`;
      // Two inputs of one batch giving one unique value: the sandbox's own text (HubSpot's answer is unverified).
      if ((claimed.get(claim) ?? index) !== index) return new HubSpotError(400, 'VALIDATION_ERROR', `${name} ${stored} is also given by input ${claimed.get(claim)} of this batch`);
      claimed.set(claim, index);
    }
    return undefined;
  }

  private uniqueProperty(idProperty: string | undefined): string {
    const key = idProperty ?? 'hs_object_id';
    if (key === 'email' || this.catalog.get(key)?.hasUniqueValue) return key;
    throw nonUniqueIdProperty(key);
  }

  private index(name: string): Map<string, Contact> | undefined {
    if (name !== 'email' && !this.catalog.get(name)?.hasUniqueValue) return undefined;
    let index = this.unique.get(name);
    if (!index) this.unique.set(name, (index = new Map()));
    return index;
  }

  private findBy(name: string, value: string): Contact | undefined {
    return this.index(name)?.get(value);
  }

  private setValue(contact: Contact, name: string, value: string): void {
    const index = this.index(name);
    const previous = contact.properties.get(name);
    if (index && previous !== undefined) index.delete(previous);
    if (index && value !== '') index.set(value, contact);
    contact.properties.set(name, value);
  }

  private create(at: string): Contact {
    const id = String(++this.lastId);
    const contact: Contact = {
      id,
      createdAt: at,
      updatedAt: at,
      properties: new Map([
        ['hs_object_id', id],
        ['createdate', at],
        ['lastmodifieddate', at],
      ]),
    };
    this.contacts.set(id, contact);
    return contact;
  }

  private toPublic(c: Contact, names: string[]): PublicContact {
    const wanted = new Set([...names, ...SYSTEM_PROPERTIES]);
    const properties = Object.fromEntries([...wanted].filter((n) => this.catalog.get(n)).map((n) => [n, c.properties.get(n) ?? null]));
    return { id: c.id, properties, createdAt: c.createdAt, updatedAt: c.updatedAt, archived: false };
  }
}

/** HubSpot stores email addresses in lower case and matches them case-insensitively. */
function normalize(name: string, value: string): string {
  return name === 'email' ? value.trim().toLowerCase() : value;
}
