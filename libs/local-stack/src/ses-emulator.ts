import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

export type SesEmulator = { endpoint: string; port: number; stop(): Promise<void> };

/** aws-ses-v2-local on loopback: the SES v2 API plus a web viewer of sent mail at `/`. */
export async function startSesEmulator(opts: { port?: number } = {}): Promise<SesEmulator> {
  const mod = await import('aws-ses-v2-local');
  // A CommonJS module with `exports.default`: Node's ESM loader nests it one level deeper than tsx does.
  type Start = (config?: { host?: string; port?: number }) => Promise<Server>;
  const loaded = mod.default as unknown as Start | { default: Start };
  const start: Start = typeof loaded === 'function' ? loaded : loaded.default;
  const server: Server = await start({ host: '127.0.0.1', port: opts.port ?? 0 });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections?.();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
