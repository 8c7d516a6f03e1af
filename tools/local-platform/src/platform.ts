import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { freePort, LOCAL_CREDENTIALS, LOCAL_REGION, portInUse } from '@peak/local-stack';
import { describeExit, spawnNode, waitForHttp200, type ExitInfo, type ManagedChild } from './child.js';
import { PlatformError, platformErrorCodes } from './errors.js';
import { acquireLock } from './lock.js';
import { prepareChurn, type ChurnInfo } from './churn.js';
import { firstCrmSync, type CrmSyncInfo } from './crm-sync.js';
import { firstCampaigns, type CampaignsInfo } from './campaigns.js';
import { loadSamples, type LoadedBatch } from './load-samples.js';
import { localSecrets, loopback, parts as defaultParts, type NodePart, type Part, type PlatformContext } from './parts.js';
import { assertPortsFree, isPortClash, pickUnused, planPorts, RANDOM_PORT_ATTEMPTS, type PortPicker } from './ports.js';
import { ensureSamples, type SampleDataOptions, type SampleProgress, type SamplesInfo } from './samples.js';
import { seconds } from './time.js';

export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

export type PlatformOptions = {
  /** Where logs, the lake, samples and the lock live (default `<repo>/.data`). */
  dataDir?: string;
  /** `fixed` (default): base + offsets, refused when one is taken. `random`: any free loopback ports. */
  ports?: 'fixed' | 'random';
  portBase?: number;
  /** Generator options for `<dataDir>/samples`, or `false` to skip (default: the generator's defaults). */
  sampleData?: false | SampleDataOptions;
  /** Progress lines (one per part, with the time it took). */
  log?: (line: string) => void;
  /** Fine-grained progress of sample generation (the CLI draws a bar from it). */
  onSampleProgress?: (p: SampleProgress) => void;
  /** LOG_LEVEL of every service (default `info`). */
  logLevel?: string;
  /** How long each part may take to answer its readiness check (default 60 s: 2-core machines). */
  readyTimeoutMs?: number;
  /** How long a child gets between SIGTERM and SIGKILL (default 10 s). */
  stopTimeoutMs?: number;
  /** Aborting it during start-up stops what already started and rejects with code ABORTED. */
  signal?: AbortSignal;
  /** Environment the children inherit, before the launcher's own variables (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** The process table; tests may pass a subset. */
  parts?: readonly Part[];
  /** Random ports come from here (default: a free loopback port from the OS); tests inject taken ones. */
  pickPort?: PortPicker;
  /** Ports a part tries in random mode before giving up (default 5). */
  portAttempts?: number;
};

export type ProcessInfo = { name: string; pid: number; port: number; kind: 'in-process' | 'child' };
export type PlatformLink = { key: string; label: string; url: string };
export type CrashReport = { name: string; pid: number; how: string; logPath?: string; lastLines: string[]; message: string };

export type Platform = {
  dataDir: string;
  logsDir: string;
  /** Every printed URL by key (`dashboard`, `ingest`, `mailViewer`, `aws`, `redis`, …). */
  urls: Record<string, string>;
  /** The same URLs in display order, with their labels. */
  links: readonly PlatformLink[];
  processes: readonly ProcessInfo[];
  /** Physical queue names and URLs, as the emulator lists them. */
  queues: readonly { name: string; url: string }[];
  /** Where the sample data is and whether this start generated it (absent with `sampleData: false`). */
  samples?: SamplesInfo;
  /** The sample batches as ingest and the ETL took them (absent when ingest or the ETL is not part of the table). */
  loaded?: LoadedBatch[];
  /** The churn model trained and today's members scored after the samples loaded (absent when the samples are too short to train on). */
  churn?: ChurnInfo;
  /** The first HubSpot sync after the samples loaded (absent when crm-sync is not part of the table). */
  crmSync?: CrmSyncInfo;
  /** The first campaigns, planned through the notifier's API and sent into the SES sandbox (absent when the notifier is not part of the table, or the lake has no check-ins). */
  campaigns?: CampaignsInfo;
  /** Resolves if a part dies while the platform runs (never once `stop()` was called). */
  crashed: Promise<CrashReport>;
  /** Stops every child (SIGTERM, SIGKILL after the grace period) and emulator, removes the lock; idempotent. */
  stop(): Promise<void>;
};

/** `booting`: not ready yet, so an exit is the start-up's failure (reported, or retried on a port clash), not a crash. */
type Running = ProcessInfo & { stop(): Promise<void>; child?: ManagedChild; booting?: boolean };


/** Computes every link of every part from the planned ports, in table order. */
export function platformLinks(parts: readonly Part[], ports: Readonly<Record<string, number>>): PlatformLink[] {
  return parts.flatMap((part) => {
    const port = ports[part.name];
    return port === undefined ? [] : part.links.map((l) => ({ key: l.key, label: l.label, url: loopback(port, part.scheme) + l.path }));
  });
}

/** Names unique, `after` names known, no cycles: checked before anything starts. */
export function checkPartTable(parts: readonly Part[]): void {
  const byName = new Map(parts.map((p) => [p.name, p]));
  if (byName.size !== parts.length) throw new PlatformError('two parts share a name in the process table', platformErrorCodes.badOptions);
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (name: string, path: string[]): void => {
    if (done.has(name)) return;
    const part = byName.get(name);
    if (!part) throw new PlatformError(`${path.at(-1)} starts after unknown part ${name}`, platformErrorCodes.badOptions);
    if (visiting.has(name)) throw new PlatformError(`the process table has a cycle: ${[...path, name].join(' → ')}`, platformErrorCodes.badOptions);
    visiting.add(name);
    for (const dep of part.after) visit(dep, [...path, name]);
    visiting.delete(name);
    done.add(name);
  };
  for (const part of parts) visit(part.name, []);
}

/** The inherited environment minus AWS settings, so a developer's profile or keys never reach an emulator-bound service. */
function withoutAws(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !key.startsWith('AWS_') || key.startsWith('AWS_SDK_JS_')));
}

/**
 * Starts the whole platform on 127.0.0.1: emulators, Redis, the HubSpot sandbox and the services, each
 * as soon as the parts it needs are ready; then the sample data. On any failure, stops what it started.
 */
export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const parts = options.parts ?? defaultParts;
  checkPartTable(parts);
  const log = options.log ?? (() => undefined);
  const dataDir = resolve(options.dataDir ?? join(repoRoot, '.data'));
  const logsDir = join(dataDir, 'logs');
  const mode = options.ports ?? 'fixed';
  if (mode === 'random' && options.portBase !== undefined) {
    throw new PlatformError('choose either a port base or random ports, not both', platformErrorCodes.badOptions);
  }
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;

  const missing = parts.filter((p) => p.kind === 'node' && !existsSync(join(repoRoot, p.entry)));
  if (missing.length > 0) {
    const list = missing.map((p) => `${p.name} (${(p as NodePart).entry})`).join(', ');
    throw new PlatformError(`cannot start: no entry file for ${list}. Nothing was started.`, platformErrorCodes.missingEntry);
  }

  // Lock first: taking over a dead launcher's lock stops its orphans, which frees the ports checked next.
  const lock = await acquireLock(dataDir, {}, log);
  let ports: Record<string, number>;
  try {
    ports = await planPorts(parts, mode, options.portBase, options.pickPort);
  } catch (err) {
    await lock.release();
    throw err;
  }
  let links = platformLinks(parts, ports);
  let urls = Object.fromEntries(links.map((l) => [l.key, l.url]));
  await lock.update({ urls, processes: [] });

  const inherited = withoutAws(options.env ?? process.env);
  const ctx: PlatformContext = { repoRoot, dataDir, ports, logLevel: options.logLevel ?? 'info' };
  const byName = new Map(parts.map((p) => [p.name, p]));
  const running = new Map<string, Running>();
  const bootAbort = new AbortController();
  const signal = options.signal ? AbortSignal.any([bootAbort.signal, options.signal]) : bootAbort.signal;
  let stopping = false;
  let stopped: Promise<void> | undefined;
  let reportCrash: (report: CrashReport) => void = () => undefined;
  const crashed = new Promise<CrashReport>((resolve) => (reportCrash = resolve));
  const timers: NodeJS.Timeout[] = [];

  const onExit = async (r: Running, how: string) => {
    if (stopping || r.booting) return;
    // Never rejects: an unreadable log must not turn a crash report into an unhandled rejection.
    const lastLines = (await r.child?.lastLines().catch((): string[] => [])) ?? [];
    const logPath = r.child?.logPath;
    const message =
      `${r.name} (pid ${r.pid}) stopped unexpectedly: ${how}` +
      (logPath ? `\n  last lines of its log:\n${indent(lastLines)}\n  full log: ${logPath}` : '');
    reportCrash({ name: r.name, pid: r.pid, how, logPath, lastLines, message });
  };

  const launch = async (part: Part, port: number): Promise<void> => {
    if (part.kind === 'builtin') {
      const handle = await part.start(ctx, port);
      const r: Running = { name: part.name, pid: handle.pid, port, kind: handle.kind, stop: () => handle.stop() };
      running.set(part.name, r);
      if (handle.kind === 'child') timers.push(watchPid(handle.pid, () => void onExit(r, 'the process is gone')));
      return;
    }
    const child = spawnNode({
      name: part.name,
      entry: part.entry,
      cwd: repoRoot,
      logPath: join(logsDir, `${part.name}.log`),
      // READY_DETAILS: on one's own machine /ready (and the dashboard) may say which host refused and why.
      env: { ...inherited, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: ctx.logLevel, READY_DETAILS: 'true', ...part.env(ctx) },
    });
    const r: Running = { name: part.name, pid: child.pid, port, kind: 'child', child, stop: () => child.stop(stopTimeoutMs), booting: true };
    running.set(part.name, r);
    void child.exited.then((e: ExitInfo) => onExit(r, describeExit(e)));
    try {
      await waitForHttp200({ url: loopback(port) + part.readyPath, timeoutMs: readyTimeoutMs, signal, exited: child.exited });
      r.booting = false;
    } catch (err) {
      if (signal.aborted) throw err;
      const lines = await child.lastLines();
      throw new PlatformError(
        `${part.name} did not start: ${(err as Error).message}\n  last lines of its log:\n${indent(lines)}\n  full log: ${child.logPath}`,
        platformErrorCodes.partFailed,
      );
    }
  };

  const launchOrExplain = async (part: Part, port: number): Promise<void> => {
    try {
      await launch(part, port);
    } catch (err) {
      if (err instanceof PlatformError || signal.aborted) throw err;
      throw new PlatformError(`${part.name} did not start: ${(err as Error).message}`, platformErrorCodes.partFailed);
    }
  };

  /**
   * Random ports are free when picked but not reserved: another program (a parallel test's platform) may
   * take one before the part listens. Such a port is skipped, or the part restarted, on a fresh pick,
   * up to `portAttempts` ports. Dependents start later, so they read the port the part ended up on.
   */
  const pick = options.pickPort ?? freePort;
  const attempts = options.portAttempts ?? RANDOM_PORT_ATTEMPTS;
  const launchOnFreePort = async (part: Part): Promise<number> => {
    const tried: number[] = [];
    for (;;) {
      const port = ports[part.name] as number;
      tried.push(port);
      if (mode === 'fixed') {
        await launchOrExplain(part, port);
        return port;
      }
      try {
        // Checked first: a port held by another HTTP server could answer the readiness poll in our child's place.
        if (!(await portInUse(port))) {
          await launchOrExplain(part, port);
          return port;
        }
      } catch (err) {
        if (signal.aborted || !isPortClash(err)) throw err;
        await running.get(part.name)?.stop();
        running.delete(part.name);
      }
      signal.throwIfAborted();
      if (tried.length >= attempts) {
        throw new PlatformError(
          `${part.name} did not start: every port it tried was taken by another program (${tried.join(', ')}). ` +
            'Something is grabbing loopback ports quickly; start again, or use fixed ports with `--port-base`.',
          platformErrorCodes.portTaken,
        );
      }
      ports[part.name] = await pickUnused(pick, [...Object.values(ports), ...tried]);
      log(`  ! ${part.name}: port ${port} was taken by another program; trying ${ports[part.name]}`);
    }
  };

  const booting = new Map<string, Promise<void>>();
  const boot = (part: Part): Promise<void> => {
    let p = booting.get(part.name);
    if (!p) {
      p = (async () => {
        await Promise.all(part.after.map((dep) => boot(byName.get(dep) as Part)));
        signal.throwIfAborted();
        const t0 = performance.now();
        const port = await launchOnFreePort(part);
        const where = part.links[0] ? loopback(port, part.scheme) : `port ${port}`;
        log(`  ✓ ${part.name.padEnd(16)} ready in ${seconds(performance.now() - t0).padStart(7)}   ${where}`);
      })();
      booting.set(part.name, p);
    }
    return p;
  };

  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      stopping = true;
      bootAbort.abort();
      for (const t of timers) clearInterval(t);
      // Dependents first: a service never sees its emulator vanish while it is still running.
      const stops = new Map<string, Promise<void>>();
      const stopPart = (name: string): Promise<void> => {
        let p = stops.get(name);
        if (!p) {
          const dependents = parts.filter((q) => q.after.includes(name)).map((q) => stopPart(q.name));
          p = Promise.all(dependents).then(async () => {
            const r = running.get(name);
            await r?.stop().catch((err: Error) => log(`  ! stopping ${name}: ${err.message}`));
          });
          stops.set(name, p);
        }
        return p;
      };
      await Promise.all(parts.map((p) => stopPart(p.name)));
      await lock.release();
    })());

  try {
    if (mode === 'fixed') await assertPortsFree(ports, options.portBase);
    await mkdir(logsDir, { recursive: true });
    await mkdir(join(dataDir, 'lake'), { recursive: true });
    const t0 = performance.now();
    const results = await Promise.allSettled(
      parts.map((part) =>
        boot(part).catch((err: unknown) => {
          bootAbort.abort(); // the first failure stops the rest from waiting out their deadlines
          throw err;
        }),
      ),
    );
    if (options.signal?.aborted) throw new PlatformError('start-up was interrupted; everything started was stopped', platformErrorCodes.aborted);
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && r.reason instanceof PlatformError);
    const other = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure ?? other) throw (failure ?? other)?.reason;
    log(`  all ${parts.length} parts ready in ${seconds(performance.now() - t0)}`);
    // A part may have moved to another random port while starting: print and record where it is.
    links = platformLinks(parts, ports);
    urls = Object.fromEntries(links.map((l) => [l.key, l.url]));

    const processes = parts.flatMap((p) => {
      const r = running.get(p.name);
      return r ? [{ name: r.name, pid: r.pid, port: r.port, kind: r.kind }] : [];
    });
    await lock.update({ urls, processes });
    const queues = urls.aws ? await listQueues(urls.aws) : [];
    const samples =
      options.sampleData === false
        ? undefined
        : await ensureSamples({ dir: join(dataDir, 'samples'), options: options.sampleData ?? {}, log, onProgress: options.onSampleProgress, signal });
    // The samples go through the front door (ingest → SQS → ETL), like any studio's export.
    const canLoad = samples && urls.ingest && parts.some((p) => p.name === 'etl');
    const loaded = canLoad
      ? await loadSamples({ ingestUrl: urls.ingest ?? '', apiKeys: localSecrets.ingestApiKeys, samplesDir: samples.dir, manifest: samples.manifest, log, signal })
      : undefined;
    const churn = loaded && samples
      ? await prepareChurn({ lakeDir: join(dataDir, 'lake'), timeZone: samples.manifest.window.timezone, truthFile: join(samples.dir, 'truth', 'churn_labels.csv'), log })
      : undefined;
    const crmSync = loaded && urls.crmSync ? await firstCrmSync({ crmSyncUrl: urls.crmSync, apiKey: localSecrets.crmSyncApiKey, log, signal }) : undefined;
    const campaigns =
      loaded && samples && urls.notifier
        ? await firstCampaigns({
            notifierUrl: urls.notifier,
            apiKey: localSecrets.notifierApiKey,
            mailViewerUrl: urls.mailViewer,
            locationId: samples.manifest.locations[0],
            samplesEnd: samples.manifest.window.end,
            log,
            signal,
          })
        : undefined;
    return {
      dataDir,
      logsDir,
      urls,
      links,
      processes,
      queues,
      samples,
      ...(loaded ? { loaded } : {}),
      ...(churn ? { churn } : {}),
      ...(crmSync ? { crmSync } : {}),
      ...(campaigns ? { campaigns } : {}),
      crashed,
      stop,
    };
  } catch (err) {
    await stop();
    if (options.signal?.aborted && !(err instanceof PlatformError && err.code === platformErrorCodes.aborted)) {
      throw new PlatformError('start-up was interrupted; everything started was stopped', platformErrorCodes.aborted);
    }
    throw err;
  }
}

const indent = (lines: string[]): string => (lines.length ? lines.map((l) => `    ${l}`).join('\n') : '    (nothing logged)');

/** A child we only know by pid (redis-server via startRedis): poll it, since its exit event is not ours. */
function watchPid(pid: number, onGone: () => void): NodeJS.Timeout {
  const timer = setInterval(() => {
    try {
      process.kill(pid, 0);
    } catch {
      clearInterval(timer);
      onGone();
    }
  }, 1_000); // ref'd on purpose: a running platform keeps its launcher alive until stop()
  return timer;
}

async function listQueues(endpoint: string): Promise<{ name: string; url: string }[]> {
  const sqs = new SQSClient({ region: LOCAL_REGION, endpoint, credentials: LOCAL_CREDENTIALS });
  try {
    const out = await sqs.send(new ListQueuesCommand({}));
    return (out.QueueUrls ?? []).map((url) => ({ name: url.split('/').pop() ?? url, url })).sort((a, b) => a.name.localeCompare(b.name));
  } finally {
    sqs.destroy();
  }
}
