import { freePort, portInUse } from '@peak/local-stack';
import { PlatformError, platformErrorCodes } from './errors.js';
import type { Part } from './parts.js';

export const DEFAULT_PORT_BASE = 4000;

/** Hands out a port that was free a moment ago (another program may take it before we listen). */
export type PortPicker = () => Promise<number>;

/** How many ports a part tries in random mode before giving up (each taken one is replaced by a fresh pick). */
export const RANDOM_PORT_ATTEMPTS = 5;

/** A fresh port from `pick` that no other part of this platform has. */
export async function pickUnused(pick: PortPicker, taken: Iterable<number>): Promise<number> {
  const used = new Set(taken);
  for (let i = 0; i < 100; i++) {
    const port = await pick();
    if (!used.has(port)) return port;
  }
  throw new PlatformError('the port picker keeps returning ports this platform already uses', platformErrorCodes.portTaken);
}

/** Whether a part failed because its port was taken (a Node listen error, or redis-server saying so). */
export function isPortClash(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  return e?.code === 'EADDRINUSE' || /EADDRINUSE|address already in use/i.test(String(e?.message ?? ''));
}

/** Fixed ports: base + each part's offset (stable, bookmarkable). Random: a free loopback port each. */
export async function planPorts(
  parts: readonly Part[],
  mode: 'fixed' | 'random',
  base = DEFAULT_PORT_BASE,
  pick: PortPicker = freePort,
): Promise<Record<string, number>> {
  const ports: Record<string, number> = {};
  if (mode === 'fixed') {
    const highest = Math.max(...parts.map((p) => p.portOffset));
    if (!Number.isInteger(base) || base < 1024 || base + highest > 65_535) {
      throw new PlatformError(`port base ${base} is out of range: it must be an integer from 1024 to ${65_535 - highest}`, platformErrorCodes.badOptions);
    }
    for (const part of parts) ports[part.name] = base + part.portOffset;
    return ports;
  }
  // The OS may hand the same just-released port out twice; every part needs its own.
  for (const part of parts) ports[part.name] = await pickUnused(pick, Object.values(ports));
  return ports;
}

/** Fails, naming every taken port, which part wanted it and how to proceed, before anything starts. */
export async function assertPortsFree(ports: Readonly<Record<string, number>>, base?: number): Promise<void> {
  const entries = Object.entries(ports);
  const inUse = await Promise.all(entries.map(([, port]) => portInUse(port)));
  const taken = entries.filter((_, i) => inUse[i]).sort(([, a], [, b]) => a - b);
  if (taken.length === 0) return;
  const list = taken.map(([name, port]) => `port ${port} (wanted by ${name})`).join(', ');
  const otherBase = (base ?? DEFAULT_PORT_BASE) === 5000 ? 6000 : 5000;
  // Every port of the block taken at once is almost always another platform, started from another data dir.
  const whole = taken.length === entries.length ? ' (all of them: probably another platform, started with another --data-dir)' : '';
  throw new PlatformError(
    `cannot start: ${list} ${taken.length === 1 ? 'is' : 'are'} already in use by another program${whole}. ` +
      `Stop what holds ${taken.length === 1 ? 'it' : 'them'}, or start on another block of ports with \`--port-base ${otherBase}\`, or let the platform pick free ports with \`--random-ports\`. Nothing was started.`,
    platformErrorCodes.portTaken,
  );
}
