// Builds the dashboard to dashboard/dist (served by the leaderboard service at /). `npm run dev --workspace
// dashboard` serves it with hot reload and proxies the API to the leaderboard service that `npm start` runs
// (DASHBOARD_API_URL to point elsewhere, e.g. the mock: `npm run mock --workspace dashboard`).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const api = process.env.DASHBOARD_API_URL ?? 'http://127.0.0.1:4000';
const proxied = ['/ready', '/health', '/v1', '/docs'];

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: true,
    chunkSizeWarningLimit: 700,
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: Object.fromEntries(proxied.map((p) => [p, { target: api, changeOrigin: false }])),
  },
  preview: { host: '127.0.0.1', port: 4173, proxy: Object.fromEntries(proxied.map((p) => [p, { target: api }])) },
});
