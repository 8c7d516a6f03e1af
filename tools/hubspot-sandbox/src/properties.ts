import { defaultContactProperties, defaultPropertyGroups, type DefaultProperty } from './default-properties.js';
import { HubSpotError } from './errors.js';

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

/** A property group as the groups API returns it. */
export type PropertyGroup = { name: string; label: string; displayOrder: number; archived: boolean };
export type PropertyGroupInput = { name: string; label: string; displayOrder?: number };

/** Which field types HubSpot accepts for each property type (it rejects other pairs since 2021). */
const fieldTypesOf: Record<PropertyType, readonly string[]> = {
  string: ['text', 'textarea', 'file', 'html', 'phonenumber', 'calculation_equation'],
  number: ['number', 'calculation_equation'],
  date: ['date'],
  datetime: ['date'],
  enumeration: ['select', 'radio', 'checkbox', 'booleancheckbox', 'calculation_equation'],
  bool: ['booleancheckbox', 'calculation_equation'],
  phone_number: ['phonenumber'],
};

/** HubSpot: "up to ten unique identifier properties" per object (properties guide). */
export const MAX_UNIQUE_PROPERTIES = 10;
/** Only single-line text and number properties can require unique values (HubSpot knowledge base; message text unverified). */
const UNIQUE_CAPABLE = new Set<string>(['string:text', 'number:number']);

/** The account's contact property definitions and property groups, with HubSpot's rules for creating them. */
export class PropertyCatalog {
  private readonly properties = new Map<string, PropertyDefinition>();
  private readonly groups = new Map<string, PropertyGroup>();

  constructor(private readonly now: () => Date) {
    this.reset();
  }

  /** Back to a new account: HubSpot's default properties and groups only. */
  reset(): void {
    this.properties.clear();
    this.groups.clear();
    const at = this.now().toISOString();
    defaultContactProperties.forEach((p, i) =>
      this.properties.set(p.name, {
        ...definition({ ...p, description: '', displayOrder: i }, at),
        hubspotDefined: true,
        modificationMetadata: { archivable: false, readOnlyDefinition: true, readOnlyValue: p.readOnly ?? false },
      }),
    );
    defaultPropertyGroups.forEach(([name, label], displayOrder) => this.groups.set(name, { name, label, displayOrder, archived: false }));
  }

  list(): PropertyDefinition[] {
    return [...this.properties.values()];
  }

  get(name: string): PropertyDefinition | undefined {
    return this.properties.get(name);
  }

  /** GET …/properties/contacts/{name}; the 404 text is the sandbox's own (HubSpot's is unverified). */
  require(name: string): PropertyDefinition {
    const found = this.properties.get(name);
    if (!found) throw new HubSpotError(404, 'OBJECT_NOT_FOUND', `Property ${name} does not exist on contacts`);
    return found;
  }

  create(input: PropertyInput): PropertyDefinition {
    // 409 shape and category are unverified (research §2): no public source quotes HubSpot's reply.
    if (this.properties.has(input.name)) throw new HubSpotError(409, 'OBJECT_ALREADY_EXISTS', `Property named '${input.name}' already exists.`);
    if (!fieldTypesOf[input.type].includes(input.fieldType)) {
      throw new HubSpotError(400, 'VALIDATION_ERROR', `Property type '${input.type}' does not support field type '${input.fieldType}'; allowed: ${fieldTypesOf[input.type].join(', ')}`);
    }
    if (!this.groups.has(input.groupName)) {
      throw new HubSpotError(400, 'VALIDATION_ERROR', `Property group '${input.groupName}' does not exist; existing groups: ${[...this.groups.keys()].join(', ')}`);
    }
    if (input.type === 'enumeration' && (input.options ?? []).length === 0) {
      throw new HubSpotError(400, 'VALIDATION_ERROR', `Enumeration property '${input.name}' needs options: each one a {label, value}`);
    }
    const values = (input.options ?? []).map((o) => o.value);
    const repeated = values.filter((v, i) => values.indexOf(v) !== i);
    if (repeated.length > 0) throw new HubSpotError(400, 'VALIDATION_ERROR', `Option values must be unique; repeated: ${[...new Set(repeated)].join(', ')}`);
    if (input.hasUniqueValue) this.checkUnique(input);
    const created = definition(input, this.now().toISOString());
    this.properties.set(created.name, created);
    return created;
  }

  listGroups(): PropertyGroup[] {
    return [...this.groups.values()];
  }

  /** GET …/groups/{name}; the 404 text is the sandbox's own (HubSpot's is unverified). */
  requireGroup(name: string): PropertyGroup {
    const found = this.groups.get(name);
    if (!found) throw new HubSpotError(404, 'OBJECT_NOT_FOUND', `Property group ${name} does not exist on contacts`);
    return found;
  }

  /**
   * POST …/groups: 201, or 409 when the name is taken — even with the same label, since HubSpot's create is not
   * idempotent (a caller ensuring a group reads it first or treats 409 as "exists"). 409 body unverified.
   */
  createGroup(input: PropertyGroupInput): PropertyGroup {
    if (this.groups.has(input.name)) throw new HubSpotError(409, 'OBJECT_ALREADY_EXISTS', `Property group named '${input.name}' already exists.`);
    const group = { name: input.name, label: input.label, displayOrder: input.displayOrder ?? -1, archived: false };
    this.groups.set(group.name, group);
    return group;
  }

  private checkUnique(input: PropertyInput): void {
    if (!UNIQUE_CAPABLE.has(`${input.type}:${input.fieldType}`)) {
      throw new HubSpotError(400, 'VALIDATION_ERROR', `Property '${input.name}' cannot have unique values: only single-line text and number properties can`);
    }
    const unique = this.list().filter((p) => p.hasUniqueValue).length;
    if (unique >= MAX_UNIQUE_PROPERTIES) {
      throw new HubSpotError(400, 'VALIDATION_ERROR', `Contacts already have ${unique} unique value properties, the maximum of ${MAX_UNIQUE_PROPERTIES}`);
    }
  }
}

function definition(input: PropertyInput, at: string): PropertyDefinition {
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
