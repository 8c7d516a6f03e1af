import type { AddressInfo } from 'node:net';
import { buildForTest, type Teardown } from '@peak/service-kit/testing';
import { buildApp, readConfig, type AppOverrides } from '@peak/hubspot-sandbox';

export const TOKEN = 'pat-test-token-1';
export const OTHER = 'pat-test-token-2';
export const auth = (token = TOKEN) => ({ authorization: `Bearer ${token}` });

/** A settable sandbox clock (ms): tests move it instead of sleeping. */
export function manualClock(start = Date.parse('2026-12-01T12:00:00Z')) {
  let at = start;
  return { now: () => at, advance: (ms: number) => (at += ms), set: (ms: number) => (at = ms) };
}

/** A sandbox app closed after the test, accepting TOKEN and OTHER. */
export async function sandbox(t: Teardown, env: Record<string, string> = {}, overrides: AppOverrides = {}) {
  return buildForTest(t, () => buildApp(readConfig({ HUBSPOT_SANDBOX_TOKENS: `${TOKEN},${OTHER}`, ...env }), overrides));
}

/** The same, listening on a random loopback port: `basePath` for @hubspot/api-client. */
export async function listeningSandbox(t: Teardown, env: Record<string, string> = {}, overrides: AppOverrides = {}) {
  const app = await sandbox(t, env, overrides);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, basePath: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

type App = Awaited<ReturnType<typeof sandbox>>;

export const upsert = (app: App, inputs: unknown[], token = TOKEN) =>
  app.inject({ method: 'POST', url: '/crm/v3/objects/contacts/batch/upsert', headers: auth(token), payload: { inputs } });

export const createProperty = (app: App, payload: object) => app.inject({ method: 'POST', url: '/crm/v3/properties/contacts', headers: auth(), payload });

/** A unique member-id property, as crm-sync keys contacts. */
export const memberIdProperty = { name: 'peak_member_id', label: 'Member id', type: 'string', fieldType: 'text', groupName: 'contactinformation', hasUniqueValue: true };
