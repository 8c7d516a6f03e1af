/**
 * Makes sure HubSpot has crm-sync's property group and contact properties before a sync writes them. Idempotent:
 * what exists is left alone, what is missing is created. A property that exists with another type is an error to
 * fix by hand in HubSpot (crm-sync never changes or deletes a property someone may be using).
 */
import type { Client } from '@hubspot/api-client';
import { CONTACT_PROPERTIES, PROPERTY_GROUP, type ContactPropertyDefinition } from './contact-properties.js';

export class PropertySetupError extends Error {
  override name = 'PropertySetupError';
}

export type PropertySetup = { groupCreated: boolean; created: string[]; existing: string[] };

const status = (err: unknown) => (err as { code?: number }).code;

/** Runs one HubSpot call under the run's rate limiter (push.ts `hubspotPacer`); by default, at once. */
export type Schedule = <T>(call: () => Promise<T>) => Promise<T>;

export async function ensureContactProperties(client: Client, definitions: readonly ContactPropertyDefinition[] = CONTACT_PROPERTIES, schedule: Schedule = (call) => call()): Promise<PropertySetup> {
  const api = client.crm.properties;
  const groups = await schedule(() => api.groupsApi.getAll('contacts'));
  let groupCreated = false;
  if (!groups.results.some((g) => g.name === PROPERTY_GROUP.name)) {
    try {
      await schedule(() => api.groupsApi.create('contacts', { ...PROPERTY_GROUP }));
      groupCreated = true;
    } catch (err) {
      if (status(err) !== 409) throw err; // another run created it meanwhile
    }
  }
  const existing = new Map((await schedule(() => api.coreApi.getAll('contacts'))).results.map((p) => [p.name, p]));
  const setup: PropertySetup = { groupCreated, created: [], existing: [] };
  for (const def of definitions) {
    const found = existing.get(def.name);
    if (found) {
      if (found.type !== def.type || Boolean(found.hasUniqueValue) !== Boolean(def.hasUniqueValue)) {
        throw new PropertySetupError(
          `the contact property ${def.name} exists in HubSpot as ${found.type}${found.hasUniqueValue ? ' (unique)' : ''}, but crm-sync writes it as ${def.type}${def.hasUniqueValue ? ' (unique)' : ''}: ` +
            'rename or delete it in HubSpot (Settings → Properties), then run again',
        );
      }
      setup.existing.push(def.name);
      continue;
    }
    try {
      await schedule(() => api.coreApi.create('contacts', { ...def, groupName: PROPERTY_GROUP.name } as Parameters<typeof api.coreApi.create>[1]));
      setup.created.push(def.name);
    } catch (err) {
      if (status(err) !== 409) throw err;
      setup.existing.push(def.name);
    }
  }
  return setup;
}
