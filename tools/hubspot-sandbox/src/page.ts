import type { LimitSettings } from './limits.js';
import type { ContactStore } from './store.js';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const SHOWN = 200;

/** The sandbox's own page: what a developer wants to see locally (custom properties, latest contacts). */
export function renderPage(store: ContactStore, limits: LimitSettings): string {
  const custom = store.catalog.list().filter((p) => !p.hubspotDefined);
  const contacts = store.snapshot(SHOWN);
  const columns = ['email', 'firstname', 'lastname', ...custom.map((p) => p.name), 'lastmodifieddate'];
  const propertyRows = custom
    .map((p) => `<tr><td><code>${escape(p.name)}</code></td><td>${escape(p.label)}</td><td>${escape(p.type)} / ${escape(p.fieldType)}</td><td>${escape(p.groupName)}</td></tr>`)
    .join('');
  const contactRows = contacts
    .map((c) => `<tr><td>${escape(c.id)}</td>${columns.map((n) => `<td>${escape(c.properties[n] ?? '')}</td>`).join('')}</tr>`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>HubSpot sandbox</title>
<style>
  body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; padding: 1.5rem clamp(1rem, 4vw, 2.5rem); background: #f5f8fa; color: #33475b; }
  h1 { margin: 0 0 .25rem; font-size: 1.5rem; } h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
  .muted { color: #7c98b6; } .scroll { overflow-x: auto; background: #fff; border-radius: 8px; box-shadow: 0 1px 3px rgb(0 0 0 / .08); }
  table { border-collapse: collapse; width: 100%; font-size: .875rem; } th, td { text-align: left; padding: .4rem .75rem; border-bottom: 1px solid #eaf0f6; white-space: nowrap; }
  th { background: #eaf0f6; }
</style>
</head>
<body>
<h1>HubSpot sandbox</h1>
<p class="muted">CRM v3 contacts and properties, in memory. ${store.contactCount} contacts · ${custom.length} custom properties · rate limit ${limits.max} requests per ${limits.windowMs} ms per token, ${limits.daily} a day (${escape(limits.timeZone)}) · faults and recorded requests at <a href="/docs#/sandbox">/_sandbox</a> · API documented at <a href="/docs">/docs</a></p>
<h2>Custom contact properties</h2>
<div class="scroll"><table><thead><tr><th>name</th><th>label</th><th>type / field type</th><th>group</th></tr></thead>
<tbody>${propertyRows || '<tr><td colspan="4" class="muted">none yet</td></tr>'}</tbody></table></div>
<h2>Contacts${contacts.length < store.contactCount ? ` (latest ${contacts.length} of ${store.contactCount})` : ''}</h2>
<div class="scroll"><table><thead><tr><th>id</th>${columns.map((n) => `<th>${escape(n)}</th>`).join('')}</tr></thead>
<tbody>${contactRows || `<tr><td colspan="${columns.length + 1}" class="muted">none yet</td></tr>`}</tbody></table></div>
</body>
</html>`;
}
