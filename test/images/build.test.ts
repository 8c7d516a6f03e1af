/**
 * What each image's build stage produces (scripts/build-image.ts, the step every Dockerfile runs), built here into
 * temporary folders outside the repo — so nothing resolves from the repo's node_modules — and then run: every service
 * bundle loads all its modules (its config refuses a bad PORT with its own message), two of them boot and answer, and
 * the jobs' scripts run under tsx from the pruned platform tree. Only `docker build` itself is not exercised.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import t from 'tap';
import {
  buildImage,
  BUNDLE,
  EXTERNAL_PACKAGES,
  firstPartyImportMeta,
  JOB_SCRIPTS,
  productionClosure,
  REPO_ROOT,
  SERVICE_TARGETS,
  type ImageBuild,
  type ServiceName,
} from '../../scripts/build-image.js';
import { dockerignore } from './docker-files.js';

type Lock = Parameters<typeof productionClosure>[0];
const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as Lock;
const ignored = dockerignore(readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8'));
const SERVICES = Object.keys(SERVICE_TARGETS) as ServiceName[];

const work = await mkdtemp(join(tmpdir(), 'peak-images-'));
t.teardown(() => rm(work, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], cwd: string, env: Record<string, string> = {}, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    // Only PATH from this process: no NODE_PATH or NODE_OPTIONS that could find the repo's packages.
    const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isDirectory()) out.push(relative(dir, join(e.parentPath, e.name)).split(sep).join('/'));
  }
  return out.sort();
}

const resolvesFrom = (file: string, spec: string): boolean => {
  try {
    createRequire(file).resolve(spec);
    return true;
  } catch {
    return false;
  }
};

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** Starts `node server.mjs` in an image folder, waits for /health; `stop` sends SIGTERM and resolves with the exit code. */
async function boot(out: string, env: Record<string, string>) {
  const port = await freePort();
  const child = spawn(process.execPath, [BUNDLE], {
    cwd: out,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${stderr}`);
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`no /health within 30 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, stop: () => (child.kill('SIGTERM'), exited), kill: () => child.kill('SIGKILL') };
}

// The five services and the platform image, built once, one after the other (esbuild already uses every core). ingest
// is copied as in the Dockerfiles; the others hard-link their packages (the same tree, in a fraction of the time).
const builds = new Map<string, ImageBuild>();
for (const name of [...SERVICES, 'platform'] as const) builds.set(name, await buildImage(name, join(work, name), { mode: name === 'ingest' ? 'copy' : 'link' }));
const outOf = (name: string): string => builds.get(name)!.outDir;

t.test('each service: one bundle, nothing left to resolve but builtins and the copied packages', async (t) => {
  for (const name of SERVICES) {
    const b = builds.get(name)!;
    const bundle = join(b.outDir, BUNDLE);
    t.ok(existsSync(bundle), `${name}: ${BUNDLE}`);
    t.ok(b.sources.includes(SERVICE_TARGETS[name].entry), `${name}: built from ${SERVICE_TARGETS[name].entry}`);
    for (const spec of b.externalImports) {
      const builtin = spec.startsWith('node:') || builtinModules.includes(spec);
      const external = (EXTERNAL_PACKAGES as readonly string[]).some((p) => spec === p || spec.startsWith(`${p}/`));
      t.ok(builtin || external, `${name}: the bundle's run-time import ${spec} is a Node builtin or a copied package`);
      if (external) t.ok(resolvesFrom(bundle, spec), `${name}: ${spec} resolves from /app/node_modules`);
    }
    // The bundle holds fastify itself: found from the image folder, it would mean the test leaned on the repo's tree.
    t.notOk(resolvesFrom(bundle, 'fastify'), `${name}: fastify is not in node_modules (bundled), and the repo's tree is out of reach`);
    const dev = b.packages.filter((p) => lock.packages[p]?.dev);
    t.same(dev, [], `${name}: no dev dependency in the image`);
    t.notOk(b.packages.some((p) => lock.packages[p]?.link), `${name}: no workspace in node_modules (first-party code is bundled)`);
  }
  t.ok(builds.get('etl')!.packages.includes('node_modules/@duckdb/node-bindings-linux-x64'), 'etl: the linux-x64 DuckDB binding is copied with @duckdb/node-api');
  t.notOk(builds.get('ingest')!.packages.some((p) => p.includes('@duckdb')), 'ingest: no DuckDB (it does not query the lake)');
  for (const name of ['leaderboard', 'crm-sync', 'notifier'] as const) {
    t.ok(builds.get(name)!.packages.includes('node_modules/ml-xgboost'), `${name}: ml-xgboost (the churn model module reads its package.json when it loads)`);
  }
});

t.test('each service bundle loads every module: its config refuses a bad PORT with its own message', async (t) => {
  const runs = await Promise.all(SERVICES.map((name) => run([BUNDLE], outOf(name), { PORT: 'not-a-port', NODE_ENV: 'production' })));
  SERVICES.forEach((name, i) => {
    const r = runs[i]!;
    t.equal(r.code, 1, `${name}: exits 1`);
    t.match(r.stderr, new RegExp(`^(?:[^\\n]*Warning[^]*?\\n)?${name}: invalid configuration:`, 'm'), `${name}: says so in its own words`);
    t.match(r.stderr, /- PORT: must be integer/, `${name}: names PORT`);
    t.notMatch(r.stderr, /Cannot find (module|package)|ERR_MODULE_NOT_FOUND|Dynamic require/, `${name}: nothing failed to load`);
  });
});

t.test('ingest boots from the bundle: /health, the /docs UI files of the copied @fastify/swagger-ui, SIGTERM exits 0', async (t) => {
  const lake = await mkdtemp(join(work, 'lake-'));
  const svc = await boot(outOf('ingest'), {
    LAKE_URI: pathToFileURL(lake).href,
    INGEST_API_KEYS: 'membership-system:0123456789abcdef',
    CHECKIN_SPOOL_DIR: join(work, 'spool'),
    AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9',
  });
  t.equal((await fetch(`${svc.url}/health`)).status, 200, '/health');
  const docs = await fetch(`${svc.url}/docs/static/logo.svg`);
  t.equal(docs.status, 200, '/docs/static/logo.svg: served from node_modules/@fastify/swagger-ui/static');
  t.match(await docs.text(), /<svg/, 'an SVG');
  t.equal(await svc.stop(), 0, 'SIGTERM: exits 0');
});

t.test('leaderboard boots from the bundle and serves the dashboard built into the image', async (t) => {
  const svc = await boot(outOf('leaderboard'), { REDIS_URL: 'redis://127.0.0.1:9', AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9', LEADERBOARD_FEED: 'off' });
  const page = await fetch(`${svc.url}/`);
  t.equal(page.status, 200, 'GET /');
  t.match(await page.text(), /<title>[^<]*dashboard/i, 'the dashboard page');
  const assets = await readdir(join(outOf('leaderboard'), 'dashboard', 'dist', 'assets'));
  const script = assets.find((a) => a.endsWith('.js'));
  t.ok(script, 'Vite built a script');
  t.equal((await fetch(`${svc.url}/assets/${script}`)).status, 200, 'and it is served');
  // No SIGTERM check here: without a Redis to close, the leaderboard's graceful close waits out its grace period.
  svc.kill();
});

t.test("the notifier's templates are where its code looks for them", async (t) => {
  const from = join(REPO_ROOT, 'services/notifier/src/templates/sources');
  const to = join(outOf('notifier'), 'services/notifier/src/templates/sources');
  const files = await listTree(from);
  t.ok(files.length > 0 && files.every((f) => f.endsWith('.hbs')), 'the .hbs sources');
  t.same(await listTree(to), files, 'every one, at its repo path under /app');
  for (const f of files) t.equal(readFileSync(join(to, f), 'utf8'), readFileSync(join(from, f), 'utf8'), `${f} unchanged`);
});

t.test('first-party import.meta keeps meaning the module\'s repo path under the image folder', async (t) => {
  const root = await mkdtemp(join(work, 'meta-'));
  const out = join(root, 'out');
  await mkdir(join(root, 'a', 'b'), { recursive: true });
  await writeFile(
    join(root, 'a', 'b', 'mod.ts'),
    "export const url = new URL('./data/', import.meta.url).href;\nexport const dir: string = import.meta.dirname;\nexport const file: string = import.meta.filename;\n",
  );
  const users = new Set<string>();
  await esbuild.build({ absWorkingDir: root, entryPoints: ['a/b/mod.ts'], outfile: join(out, BUNDLE), bundle: true, platform: 'node', format: 'esm', plugins: [firstPartyImportMeta(root, users)], logLevel: 'silent' });
  const mod = (await import(pathToFileURL(join(out, BUNDLE)).href)) as { url: string; dir: string; file: string };
  t.equal(mod.url, pathToFileURL(join(out, 'a', 'b', 'data')).href + '/', 'import.meta.url');
  t.equal(mod.dir, join(out, 'a', 'b'), 'import.meta.dirname');
  t.equal(mod.file, join(out, 'a', 'b', 'mod.ts'), 'import.meta.filename');
  t.same([...users], ['a/b/mod.ts'], 'the module is reported (the build then requires RUNTIME_NEEDS to list it)');
});

t.test('platform: the pruned repo loads each job script under tsx, and holds no dev dependency but tsx', async (t) => {
  const out = outOf('platform');
  // One process imports the three (a process each would compile the shared workspaces three times over): every module of
  // every job loads under tsx from the pruned tree; each script's main() only runs when it is the process's own script.
  const probe = `const scripts = ${JSON.stringify(JOB_SCRIPTS)};
for (const s of scripts) { const m = await import('./' + s); if (typeof m.main !== 'function') throw new Error(s + ': no main'); }
console.log('loaded ' + scripts.length);`;
  const r = await run(['--import', 'tsx', '--input-type=module', '-e', probe], out, { NODE_ENV: 'production' });
  t.equal(r.code, 0, `node --import tsx loads ${JOB_SCRIPTS.join(', ')} (${r.stderr.trim().split('\n').slice(-3).join(' | ')})`);
  t.match(r.stdout, /loaded 3/, 'all three, each with its main()');
  const tsxClosure = new Set(productionClosure(lock, ['node_modules/tsx']));
  const dev = builds.get('platform')!.packages.filter((p) => lock.packages[p]?.dev);
  t.ok(dev.includes('node_modules/tsx'), 'tsx is there');
  t.same(dev.filter((p) => !tsxClosure.has(p)), [], 'every dev package in the image is tsx or one of its dependencies');
  const cli = join(out, JOB_SCRIPTS[0]);
  t.ok(resolvesFrom(cli, '@peak/analytics'), 'workspaces resolve through node_modules/@peak links');
  for (const absent of ['@pulumi/pulumi', 'dynalite', 'vite', 'typescript']) t.notOk(resolvesFrom(cli, absent), `${absent} is not in the image`);
  t.notOk(existsSync(join(out, 'libs/churn/test')), 'no tests');
  t.notOk(existsSync(join(out, 'infra')), 'no infra');
});

t.test('nothing a build reads is left out of the Docker build context by .dockerignore', async (t) => {
  for (const [name, b] of builds) {
    const excluded = b.sources.filter(ignored);
    t.same(excluded, [], `${name}: its ${b.sources.length} source files are in the context`);
    t.same(b.runtimeFiles.filter((f) => f !== 'dashboard/dist' && ignored(f)), [], `${name}: its run-time files are in the context`);
  }
  for (const f of ['dashboard/index.html', 'dashboard/vite.config.ts', 'dashboard/src', 'dashboard/package.json']) t.notOk(ignored(f), `${f} (the leaderboard's dashboard build)`);
});

t.test('the CLI the Dockerfiles run: an unknown target is refused with the usage', async (t) => {
  const usage = await run(['--import', 'tsx', 'scripts/build-image.ts', 'nope', join(work, 'nope')], REPO_ROOT);
  t.equal(usage.code, 2, 'exit 2');
  t.match(usage.stderr, /usage: .*<ingest\|etl\|leaderboard\|crm-sync\|notifier\|platform> <outDir>/, 'with the usage');
  t.notOk(existsSync(join(work, 'nope')), 'and nothing written');
});
