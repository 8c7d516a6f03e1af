/**
 * Addresses as SES takes them: a bare address (`ana@example.com`) or a mailbox with a display name
 * (`"Ana" <ana@example.com>`, `Ana <ana@example.com>`). Only the address part matters for limits, suppression and
 * outcomes, compared in lower case (SES's own case rules are not documented).
 */
const ADDRESS = /^[^\s@<>",;()[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** The address inside a mailbox string, or undefined when there is none that looks like one. */
export function addressOf(mailbox: string): string | undefined {
  const trimmed = mailbox.trim();
  const angled = /<([^<>]*)>\s*$/.exec(trimmed);
  const address = (angled ? angled[1] : trimmed)?.trim() ?? '';
  return address.length <= 320 && ADDRESS.test(address) ? address : undefined;
}

/** The key an address is compared by (suppression list, scripted outcomes). */
export const addressKey = (address: string) => address.trim().toLowerCase();

export const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/** Splits a header's address list (`a@x, "B, C" <b@x>`) into mailboxes, respecting quotes and angle brackets. */
export function splitAddressList(value: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  let angled = false;
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '<') angled = true;
    else if (!quoted && ch === '>') angled = false;
    if (ch === ',' && !quoted && !angled) {
      if (current.trim()) out.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim()) out.push(current.trim());
  return out;
}
