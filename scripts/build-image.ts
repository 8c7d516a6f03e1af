/**
 * Builds what one container image ships, into a folder that becomes the image's /app: the same code runs in every
 * Dockerfile's build stage and in test/images/build.test.ts.
 *
 *   node --import tsx scripts/build-image.ts <target> <outDir>
 *
 * Targets:
 * - a service (`ingest`, `etl`, `leaderboard`, `crm-sync`, `notifier`): its `server.ts` bundled by esbuild into one ESM
 *   file, `server.mjs`; the packages the bundle cannot hold (a native binding, files read by path) in `node_modules/`,
 *   each with its production dependencies, copied from the installed tree; the files first-party code reads at run time
 *   at their repo paths (the notifier's templates, the leaderboard's dashboard built by Vite).
 * - `platform` (the scheduled jobs' image, ../Dockerfile): the repo's layout pruned to what the jobs' workspaces need
 *   (their `src/`, their production dependencies, tsx), so the jobs' `node --import tsx <script>` runs unchanged.
 *
 * Everything is taken from the tree `npm ci` installed from the committed lock; nothing is downloaded.
 */
import { copyFile, link, mkdir, readFile, readdir, readlink, rm, stat, symlink } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import type * as Vite from 'vite';

export const REPO_ROOT = resolve(import.meta.dirname, '..');

export interface ServiceTarget {
  /** The service's entry, from the repo root. */
  entry: string;
  /** The port its config defaults to (servicePort), which the image sets and exposes. */
  port: number;
}

/** The five services: entry and port as each one's config reads them. */
export const SERVICE_TARGETS = {
  ingest: { entry: 'services/ingest/src/server.ts', port: 4001 },
  etl: { entry: 'services/etl/src/service/server.ts', port: 4004 },
  leaderboard: { entry: 'services/leaderboard/src/server.ts', port: 4000 },
  'crm-sync': { entry: 'services/crm-sync/src/server.ts', port: 4003 },
  notifier: { entry: 'services/notifier/src/server.ts', port: 4002 },
} as const satisfies Record<string, ServiceTarget>;

export type ServiceName = keyof typeof SERVICE_TARGETS;
export type TargetName = ServiceName | 'platform';
export const TARGETS: TargetName[] = [...(Object.keys(SERVICE_TARGETS) as ServiceName[]), 'platform'];

/** The service bundle's file name in /app (the Dockerfiles' CMD runs it). */
export const BUNDLE = 'server.mjs';

/**
 * Packages left out of the bundles: `@duckdb/node-api` loads a native `.node` binding; `@fastify/swagger-ui` serves
 * its own files from `__dirname`. Each is copied into node_modules with its production dependencies.
 */
export const EXTERNAL_PACKAGES = ['@duckdb/node-api', '@fastify/swagger-ui'] as const;

/**
 * First-party modules that use `import.meta` (a file or a package reached by path at run time, which the bundler
 * cannot see), and what each needs in the image. A bundled module using `import.meta` that is not listed here fails the
 * build: look at what it reads, then list it. Paths are from the repo root and keep that place under /app.
 */
export const RUNTIME_NEEDS: Record<string, { files?: string[]; packages?: string[]; dashboard?: true }> = {
  // createRequire: ml-xgboost's package.json when the module loads, its WebAssembly on the first training.
  'libs/churn/src/ml/boosted-trees.ts': { packages: ['ml-xgboost'] },
  // The .hbs sources, read next to the module.
  'services/notifier/src/templates/sources.ts': { files: ['services/notifier/src/templates/sources'] },
  // The web dashboard at /, built by Vite into dashboard/dist (served only when it exists, so it must be built).
  'services/leaderboard/src/app.ts': { dashboard: true },
};

/** The scheduled jobs' scripts (infra/src: churn-jobs, crm-sync-job, campaign-planner-job) and the workspaces they live in. */
export const JOB_SCRIPTS = ['libs/churn/src/cli.ts', 'services/crm-sync/src/cli.ts', 'services/notifier/src/campaigns/cli.ts'] as const;
const JOB_WORKSPACES = ['libs/churn', 'services/crm-sync', 'services/notifier'];
/** The jobs run TypeScript from source (`node --import tsx`); tsx (with esbuild) is the one dev dependency the image keeps. */
const JOB_RUNTIME_PACKAGES = ['tsx'];

export interface ImageBuild {
  target: TargetName;
  outDir: string;
  /** First-party source files in the bundle (services) or copied (platform), from the repo root. */
  sources: string[];
  /** Lock paths (`node_modules/...`) copied into the image's node_modules. */
  packages: string[];
  /** Imports the bundle leaves to Node at run time: builtins and EXTERNAL_PACKAGES (services only). */
  externalImports: string[];
  /** Files and folders copied for RUNTIME_NEEDS, from the repo root. */
  runtimeFiles: string[];
}

interface LockPackage {
  version?: string;
  resolved?: string;
  link?: boolean;
  dev?: boolean;
  optional?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}
type Lock = { packages: Record<string, LockPackage> };

const readLock = (root: string): Lock => JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as Lock;

/** Where Node finds `name` from the package at lock path `from`: its own node_modules, then each parent's, then the root's. */
export function resolveInLock(lock: Lock, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (!base) return undefined;
    const i = base.lastIndexOf('node_modules/');
    base = i <= 0 ? '' : base.slice(0, i - 1);
  }
}

/**
 * The production closure of `roots` (lock paths): each package, its `dependencies`, `optionalDependencies` and peers,
 * as npm installed them. An optional package absent on disk (another platform's binding) is skipped; a required one
 * missing fails. Workspace links are kept as links, with their target.
 */
export function productionClosure(lock: Lock, roots: string[], root = REPO_ROOT): string[] {
  const seen = new Set<string>();
  const visit = (path: string, optional: boolean): void => {
    if (seen.has(path)) return;
    const entry = lock.packages[path];
    if (!entry) throw new Error(`${path} is not in package-lock.json`);
    if (!existsSync(join(root, path))) {
      if (optional || entry.optional) return;
      throw new Error(`${path} is in package-lock.json but not installed: run npm ci`);
    }
    seen.add(path);
    if (entry.link) {
      if (!entry.resolved) throw new Error(`${path}: a link without a target in package-lock.json`);
      visit(entry.resolved, optional);
      return;
    }
    const deps: [string, boolean][] = [
      ...Object.keys(entry.dependencies ?? {}).map((n): [string, boolean] => [n, false]),
      ...Object.keys(entry.optionalDependencies ?? {}).map((n): [string, boolean] => [n, true]),
      // npm installs peers; an optional peer only when something else asks for it.
      ...Object.keys(entry.peerDependencies ?? {}).map((n): [string, boolean] => [n, entry.peerDependenciesMeta?.[n]?.optional === true]),
    ];
    for (const [name, isOptional] of deps) {
      const found = resolveInLock(lock, path, name);
      if (found) visit(found, isOptional);
      else if (!isOptional) throw new Error(`${path} needs ${name}, which package-lock.json does not have`);
    }
  };
  for (const r of roots) visit(r, false);
  return [...seen].sort();
}

const isWorkspace = (path: string): boolean => !path.split('/').includes('node_modules');

/** How files reach the output: copied (the images), or hard-linked (tests: the same tree in a fraction of the time). */
export type CopyMode = 'copy' | 'link';

/** Copies a folder, symlinks as they are; `skip` (a relative path) leaves out a sub-folder. */
async function copyTree(from: string, to: string, mode: CopyMode, skip: (rel: string) => boolean = () => false, base = from): Promise<void> {
  await mkdir(to, { recursive: true });
  const entries = await readdir(from, { withFileTypes: true });
  await Promise.all(
    entries.map(async (e) => {
      const src = join(from, e.name);
      const dest = join(to, e.name);
      if (skip(relative(base, src))) return;
      if (e.isDirectory()) await copyTree(src, dest, mode, skip, base);
      else if (e.isSymbolicLink()) await symlink(await readlink(src), dest);
      else if (mode === 'link') await link(src, dest).catch(() => copyFile(src, dest)); // another filesystem: copy
      else await copyFile(src, dest);
    }),
  );
}

const hasNodeModules = (rel: string): boolean => rel.split(sep).includes('node_modules');

/** Copies the closure's packages (each without its own nested node_modules: those in the closure are copied on their own). */
async function copyPackages(lock: Lock, paths: string[], root: string, outDir: string, mode: CopyMode): Promise<void> {
  await Promise.all(paths.map(async (path) => {
    const entry = lock.packages[path]!;
    const to = join(outDir, path);
    if (entry.link) {
      await mkdir(dirname(to), { recursive: true });
      await symlink(relative(dirname(to), join(outDir, entry.resolved!)), to);
    } else if (isWorkspace(path)) {
      // A workspace ships its manifest and its source, never its tests.
      await mkdir(to, { recursive: true });
      await copyFile(join(root, path, 'package.json'), join(to, 'package.json'));
      await copyTree(join(root, path, 'src'), join(to, 'src'), mode, hasNodeModules);
    } else {
      await copyTree(join(root, path), to, mode, hasNodeModules);
    }
  }));
}

/** The one installed copy of `name` (the bundle finds it in /app/node_modules); a second, other version would be ambiguous. */
function hoistedPackage(lock: Lock, name: string): string {
  const copies = Object.keys(lock.packages).filter((p) => p === `node_modules/${name}` || p.endsWith(`/node_modules/${name}`));
  if (copies.length !== 1 || copies[0] !== `node_modules/${name}`) {
    throw new Error(`${name}: expected exactly one installed copy at node_modules/${name}, found ${copies.join(', ') || 'none'}`);
  }
  return copies[0];
}

const isBuiltin = (spec: string): boolean => spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]!) || builtinModules.includes(spec);
const packageName = (spec: string): string => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');

/**
 * In first-party modules, `import.meta.url`/`dirname`/`filename` mean the module's own place under /app (its repo path),
 * not the bundle's: `new URL('./sources/', import.meta.url)` keeps finding what RUNTIME_NEEDS copies there.
 */
export function firstPartyImportMeta(root: string, users: Set<string>): esbuild.Plugin {
  return {
    name: 'first-party-import-meta',
    setup(build) {
      build.onLoad({ filter: /\.[cm]?ts$/ }, async (args) => {
        const rel = relative(root, args.path).split(sep).join('/');
        if (rel.startsWith('..') || rel.split('/').includes('node_modules')) return undefined;
        const source = await readFile(args.path, 'utf8');
        if (!/\bimport\.meta\.(url|dirname|filename)\b/.test(source)) return undefined;
        users.add(rel);
        const contents = source.replace(/\bimport\.meta\.(url|dirname|filename)\b/g, (_, what: string) => {
          if (what === 'url') return `new URL(${JSON.stringify(rel)}, import.meta.url).href`;
          if (what === 'dirname') return `(import.meta.dirname + ${JSON.stringify(`/${dirname(rel)}`)})`;
          return `(import.meta.dirname + ${JSON.stringify(`/${rel}`)})`;
        });
        return { contents, loader: 'ts' };
      });
    },
  };
}

async function buildDashboard(root: string, outDir: string): Promise<void> {
  // Vite is the dashboard's own dev dependency: resolved from there, with the dashboard's config, into the image's tree.
  const vitePath = createRequire(join(root, 'dashboard', 'package.json')).resolve('vite');
  const vite = (await import(pathToFileURL(vitePath).href)) as typeof Vite;
  await vite.build({
    configFile: join(root, 'dashboard', 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: join(outDir, 'dashboard', 'dist'), emptyOutDir: true, reportCompressedSize: false },
  });
}

async function buildService(name: ServiceName, root: string, outDir: string, mode: CopyMode): Promise<ImageBuild> {
  const { entry } = SERVICE_TARGETS[name];
  const users = new Set<string>();
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { server: entry },
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20.19',
    external: [...EXTERNAL_PACKAGES],
    // Bundled CommonJS code calls require() for Node's builtins: an ES module has none of its own.
    banner: { js: "import { createRequire as __peakCreateRequire } from 'node:module'; const require = __peakCreateRequire(import.meta.url);" },
    plugins: [firstPartyImportMeta(root, users)],
    metafile: true,
    logLevel: 'silent',
    legalComments: 'eof',
  });
  for (const w of result.warnings) console.warn(`${name}: esbuild: ${w.text}${w.location ? ` (${w.location.file}:${w.location.line})` : ''}`);
  const output = result.metafile.outputs[relative(root, join(outDir, BUNDLE)).split(sep).join('/')];
  if (!output) throw new Error(`${name}: esbuild wrote no ${BUNDLE}`);

  const externalImports = [...new Set(output.imports.filter((i) => i.external).map((i) => i.path))].sort();
  const unexpected = externalImports.filter((s) => !isBuiltin(s) && !(EXTERNAL_PACKAGES as readonly string[]).includes(packageName(s)));
  if (unexpected.length) throw new Error(`${name}: the bundle imports ${unexpected.join(', ')} at run time, which the image does not have`);

  const undeclared = [...users].filter((u) => !RUNTIME_NEEDS[u]);
  if (undeclared.length) {
    throw new Error(`${name}: ${undeclared.join(', ')} use import.meta (files or packages reached by path at run time): list what they need in RUNTIME_NEEDS (scripts/build-image.ts)`);
  }
  const needs = [...users].map((u) => RUNTIME_NEEDS[u]!);
  const runtimeFiles: string[] = [];
  for (const file of needs.flatMap((n) => n.files ?? [])) {
    if (!(await stat(join(root, file))).isDirectory()) throw new Error(`RUNTIME_NEEDS: ${file} must be a folder`);
    await copyTree(join(root, file), join(outDir, file), mode);
    runtimeFiles.push(file);
  }
  if (needs.some((n) => n.dashboard)) {
    await buildDashboard(root, outDir);
    runtimeFiles.push('dashboard/dist');
  }

  const lock = readLock(root);
  const roots = [
    ...new Set([...externalImports.filter((s) => !isBuiltin(s)).map(packageName), ...needs.flatMap((n) => n.packages ?? [])]),
  ].map((p) => hoistedPackage(lock, p));
  const packages = productionClosure(lock, roots, root);
  const strays = packages.filter(isWorkspace);
  if (strays.length) throw new Error(`${name}: an external package depends on a workspace (${strays.join(', ')}): bundle it instead`);
  await copyPackages(lock, packages, root, outDir, mode);

  const sources = Object.keys(result.metafile.inputs).filter((i) => !i.split('/').includes('node_modules') && !i.startsWith('..')).sort();
  return { target: name, outDir, sources, packages, externalImports, runtimeFiles };
}

async function listFiles(dir: string, base: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p, base)));
    else out.push(relative(base, p).split(sep).join('/'));
  }
  return out;
}

async function buildPlatform(root: string, outDir: string, mode: CopyMode): Promise<ImageBuild> {
  const lock = readLock(root);
  const packages = productionClosure(lock, [...JOB_WORKSPACES, ...JOB_RUNTIME_PACKAGES.map((p) => hoistedPackage(lock, p))], root);
  await mkdir(outDir, { recursive: true });
  // The root manifest (npm's scripts, "type") and the TypeScript settings tsx reads.
  for (const f of ['package.json', 'tsconfig.json', 'tsconfig.base.json']) await copyFile(join(root, f), join(outDir, f));
  await copyPackages(lock, packages, root, outDir, mode);
  const missing = JOB_SCRIPTS.filter((s) => !existsSync(join(outDir, s)));
  if (missing.length) throw new Error(`platform: ${missing.join(', ')} not in the image: is its workspace a dependency of JOB_WORKSPACES?`);
  const sources: string[] = [];
  for (const ws of packages.filter(isWorkspace)) sources.push(...(await listFiles(join(outDir, ws, 'src'), outDir)));
  return { target: 'platform', outDir, sources: sources.sort(), packages: packages.filter((p) => !isWorkspace(p)), externalImports: [], runtimeFiles: [] };
}

/** Builds `target` into `outDir` (emptied first). */
export async function buildImage(target: TargetName, outDir: string, { root = REPO_ROOT, mode = 'copy' }: { root?: string; mode?: CopyMode } = {}): Promise<ImageBuild> {
  const out = resolve(outDir);
  if (out === root || root.startsWith(`${out}${sep}`)) throw new Error(`refusing to empty ${out}: it holds the repo`);
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  return target === 'platform' ? buildPlatform(root, out, mode) : buildService(target, root, out, mode);
}

async function sizeOf(path: string): Promise<number> {
  const s = await stat(path);
  if (!s.isDirectory()) return s.size;
  let total = 0;
  for (const e of await readdir(path)) total += await sizeOf(join(path, e));
  return total;
}

async function main(argv: string[]): Promise<number> {
  const [target, outDir] = argv;
  if (!target || !outDir || !(TARGETS as string[]).includes(target)) {
    console.error(`usage: node --import tsx scripts/build-image.ts <${TARGETS.join('|')}> <outDir>`);
    return 2;
  }
  const built = await buildImage(target as TargetName, outDir);
  const mb = ((await sizeOf(built.outDir)) / 1e6).toFixed(1);
  console.log(`${target}: ${built.sources.length} source files, ${built.packages.length} packages, ${mb} MB in ${built.outDir}`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(`build-image: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  });
}
