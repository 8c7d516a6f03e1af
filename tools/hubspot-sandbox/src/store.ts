import { defaultContactProperties, defaultListedProperties, type DefaultProperty } from './default-properties.js';
import { HubSpotError, invalidProperties, propertyProblem, type PropertyProblem } from './errors.js';

export type PropertyType = DefaultProperty['type'];

/** A contact property as GET /crm/v3/properties/contacts returns it. */
export type PropertyDefinition = {
  name: string;
  label: string;
  type: PropertyType;
  fieldType: string;
  groupName: string;
  description: string;
  options: { label: string; value: string; displayOrder: number; hidden: boolean }[];
  displayOrder: number;
  hasUniqueValue: boolean;
  hidden: boolean;
  formField: boolean;
  calculated: boolean;
  externalOptions: boolean;
  hubspotDefined?: boolean;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  modificationMetadata: { archivable: boolean; readOnlyDefinition: boolean; readOnlyValue: boolean };
};

export type PropertyInput = {
  name: string;
  label: string;
  type: PropertyType;
  fieldType: string;
  groupName: string;
  description?: string;
  options?: { label: string; value: string; displayOrder?: number; hidden?: boolean }[];
  displayOrder?: number;
  hasUniqueValue?: boolean;
  hidden?: boolean;
  formField?: boolean;
};

/** A contact as the objects API returns it. */
export type PublicContact = { id: string; properties: Record<string, string | null>; createdAt: string; updatedAt: string; archived: false };
export type UpsertedContact = PublicContact & { new: boolean };

type Contact = { id: string; properties: Map<string, string>; createdAt: string; updatedAt: string };

/** Which field types HubSpot accepts for each property type (it rejects other pairs since 2021). */
const fieldTypesOf: Record<PropertyType, readonly string[]> = {
  string: ['text', 'textarea', 'file', 'html', 'phonenumber', 'calculation_equation'],
  number: ['number', 'calculation_equation'],
  date: ['date'],
  datetime: ['date'],
  enumeration: ['select', 'radio', 'checkbox', 'booleancheckbox', 'calculation_equation'],
  bool: ['booleancheckbox', 'calculation_equation'],
};

/** The contact property groups that exist in a new HubSpot account (the groups API is not simulated). */
export const propertyGroups = ['contactinformation', 'sales_properties', 'conversioninformation', 'emailinformation', 'socialmediainformation'];

const SYSTEM_PROPERTIES = ['hs_object_id', 'createdate', 'lastmodifieddate'];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The sandbox's CRM: contact properties and contacts, in memory, with HubSpot's validation rules. */
export class ContactStore {
  private readonly properties = new Map<string, PropertyDefinition>();
  private readonly contacts = new Map<string, Contact>();
  /** Contacts by the value of each unique property (email and hasUniqueValue properties). */
  private readonly unique = new Map<string, Map<string, Contact>>();
  private lastId = 0;

  constructor(private readonly now: () => Date = () => new Date()) {
    const at = this.now().toISOString();
    defaultContactProperties.forEach((p, i) =>
      this.properties.set(p.name, {
        ...this.definition({ ...p, description: '', displayOrder: i }, at),
        hubspotDefined: true,
        modificationMetadata: { archivable: false, readOnlyDefinition: true, readOnlyValue: p.readOnly ?? false },
      }),
    );
  }

  get contactCount(): number {
    return this.contacts.size;
  }

  listProperties(): PropertyDefinition[] {
    return [...this.properties.values()];
  }

  createProperty(input: PropertyInput): PropertyDefinition {
    if (this.properties.has(input.name)) throw new HubSpotError(409, 'OBJECT_ALREADY_EXISTS', `Property named '${input.name}' already exists.`);
    if (!fieldTypesOf[input.type].includes(input.fieldType)) {
      throw new HubSpotError(400, 'VALIDATION_ERROR', `Property type '${input.type}' does not support field type '${input.fieldType}'; allowed: ${fieldTypesOf[input.type].join(', ')}`);
    }
    if (!propertyGroups.includes(input.groupName)) {
      throw new HubSpotError(400, 'VALIDATION_ERROR', `Property group '${input.groupName}' does not exist; existing groups: ${propertyGroups.join(', ')}`);
    }
    const created = this.definition(input, this.now().toISOString());
    this.properties.set(created.name, created);
    return created;
  }

  /**
   * Batch upsert: each input is found by its `idProperty` value (email or another unique property),
   * updated if it exists and created otherwise. Like HubSpot, any invalid input fails the whole batch.
   */
  upsert(inputs: { idProperty?: string; id: string; properties: Record<string, string> }[]): UpsertedContact[] {
    const keys = inputs.map((i) => this.uniqueProperty(i.idProperty));
    const ids = inputs.map((input, i) => this.normalize(keys[i] ?? '', input.id));
    const seen = ids.map((id, i) => `${keys[i]}=${id}`);
    const duplicates = [...new Set(ids.filter((_, i) => seen.indexOf(seen[i] ?? '') !== i))];
    if (duplicates.length > 0) throw new HubSpotError(400, 'VALIDATION_ERROR', `Duplicate IDs found in batch input: [${duplicates.join(', ')}]`);

    const problems: PropertyProblem[] = [];
    inputs.forEach((input, i) => problems.push(...this.check({ ...input.properties, [keys[i] ?? '']: ids[i] ?? '' })));
    if (problems.length > 0) throw invalidProperties(problems);

    const targets = inputs.map((input, i) => {
      const target = this.findBy(keys[i] ?? '', ids[i] ?? '');
      for (const [name, value] of Object.entries(input.properties)) {
        const owner = name === keys[i] ? undefined : this.findBy(name, this.normalize(name, value));
        if (owner && owner !== target) throw new HubSpotError(409, 'CONFLICT', `Contact already exists. Existing ID: ${owner.id}`);
      }
      return target;
    });

    const at = this.now().toISOString();
    return inputs.map((input, i) => {
      const existing = targets[i];
      const contact = existing ?? this.create(at);
      const written = { ...input.properties, [keys[i] ?? '']: ids[i] ?? '' };
      let changed = false;
      for (const [name, value] of Object.entries(written)) {
        const stored = this.normalize(name, value);
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
      return { ...this.toPublic(contact, [...Object.keys(written), ...SYSTEM_PROPERTIES]), new: !existing };
    });
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
      const found = key === 'hs_object_id' ? this.contacts.get(id) : this.findBy(key, this.normalize(key, id));
      if (found) results.push(this.toPublic(found, properties ?? defaultListedProperties));
      else missing.push(id);
    }
    return { results, missing };
  }

  /** Every contact with every property, newest first: for the sandbox's own page. */
  snapshot(max: number): { id: string; properties: Record<string, string> }[] {
    return [...this.contacts.values()]
      .reverse()
      .slice(0, max)
      .map((c) => ({ id: c.id, properties: Object.fromEntries(c.properties) }));
  }

  private definition(input: PropertyInput, at: string): PropertyDefinition {
    return {
      name: input.name,
      label: input.label,
      type: input.type,
      fieldType: input.fieldType,
      groupName: input.groupName,
      description: input.description ?? '',
      options: (input.options ?? []).map((o, i) => ({ label: o.label, value: o.value, displayOrder: o.displayOrder ?? i, hidden: o.hidden ?? false })),
      displayOrder: input.displayOrder ?? -1,
      hasUniqueValue: input.hasUniqueValue ?? false,
      hidden: input.hidden ?? false,
      formField: input.formField ?? false,
      calculated: false,
      externalOptions: false,
      createdAt: at,
      updatedAt: at,
      archived: false,
      modificationMetadata: { archivable: true, readOnlyDefinition: false, readOnlyValue: false },
    };
  }

  private uniqueProperty(idProperty: string | undefined): string {
    const key = idProperty ?? 'hs_object_id';
    if (key === 'email' || this.properties.get(key)?.hasUniqueValue) return key;
    throw new HubSpotError(400, 'VALIDATION_ERROR', `idProperty '${key}' is not a unique property; upsert by email or by a property created with hasUniqueValue: true`);
  }

  private normalize(name: string, value: string): string {
    // HubSpot stores email addresses in lower case and matches them case-insensitively.
    return name === 'email' ? value.trim().toLowerCase() : value;
  }

  private check(values: Record<string, string>): PropertyProblem[] {
    const problems: PropertyProblem[] = [];
    for (const [name, value] of Object.entries(values)) {
      const def = this.properties.get(name);
      if (!def) problems.push(propertyProblem(name, 'PROPERTY_DOESNT_EXIST', `Property "${name}" does not exist`));
      else if (def.modificationMetadata.readOnlyValue) problems.push(propertyProblem(name, 'READ_ONLY_VALUE', `Property "${name}" is read-only`));
      else if (name === 'email' && !EMAIL.test(value)) problems.push(propertyProblem(name, 'INVALID_EMAIL', `Email address ${value} is invalid`));
      else if (def.type === 'enumeration' && value !== '') {
        const allowed = def.options.map((o) => o.value);
        const bad = value.split(';').filter((v) => !allowed.includes(v));
        if (bad.length > 0) problems.push(propertyProblem(name, 'INVALID_OPTION', `${bad.join(';')} was not one of the allowed options: [${allowed.join(', ')}]`));
      }
    }
    return problems;
  }

  private index(name: string): Map<string, Contact> | undefined {
    if (name !== 'email' && !this.properties.get(name)?.hasUniqueValue) return undefined;
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
    const properties = Object.fromEntries([...wanted].filter((n) => this.properties.has(n)).map((n) => [n, c.properties.get(n) ?? null]));
    return { id: c.id, properties, createdAt: c.createdAt, updatedAt: c.updatedAt, archived: false };
  }
}
