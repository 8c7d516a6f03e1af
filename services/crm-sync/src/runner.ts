/**
 * Starting a sync in the background — for the CLI, the service's endpoint and its schedule — under the lake lock,
 * learning the run's id as soon as the run has recorded itself (runSync's onRecorded).
 */
import { hostname } from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import { SyncBusyError, withSyncLock, type SyncHolder } from './sync/lock.js';
import { maskEmails } from './sync/push.js';
import { runSync, type SyncOptions } from './sync/run.js';
import type { SyncRun } from './sync/state.js';

export type StartOptions = SyncOptions & {
  /** What starts it (`cli`, `api`, `schedule`): written into the lock. */
  by: string;
  leaseMs: number;
  /** Each write of the run's record (its outcome is final some moments before the run ends: the run's rows and the lock follow). */
  onRecord?: (run: SyncRun) => void;
};

export type StartedSync = { runId: string; finished: Promise<SyncRun> };

/**
 * Starts a sync under the lake lock (a dry run writes no state, so it takes none) and resolves once the run is
 * recorded, so `GET /v1/runs/<id>` finds it at once; `finished` settles when it ends and the lock is released.
 * SyncBusyError when another process holds the lock.
 */
export async function startSync({ by, leaseMs, onRecord, ...options }: StartOptions): Promise<StartedSync> {
  let recorded!: (runId: string) => void;
  const started = new Promise<string>((resolve) => (recorded = resolve));
  let known = false;
  const sync = (note?: (runId: string) => Promise<void>) =>
    runSync({
      ...options,
      onRecorded: async (run) => {
        if (!known) {
          known = true;
          await note?.(run.runId).catch(() => undefined); // the lock still locks without the run's id
          recorded(run.runId);
        }
        onRecord?.(run);
      },
    });
  const finished = options.dryRun ? sync() : withSyncLock(options.lake, { by, leaseMs }, (lock) => sync((id) => lock.note(id)));
  return { runId: await Promise.race([started, finished.then((run) => run.runId)]), finished };
}

/** A run's outcome and counts for the log: no member data, emails masked. */
export const runSummary = (run: SyncRun) => ({
  runId: run.runId,
  dryRun: run.dryRun,
  outcome: run.outcome,
  asOf: run.asOf,
  counts: run.counts,
  ...(run.stoppedBecause ? { stoppedBecause: maskEmails(run.stoppedBecause) } : {}),
  ...(run.alert ? { alert: run.alert.reasons.map(maskEmails) } : {}),
});

export type RunnerOptions = Omit<SyncOptions, 'dryRun' | 'onBatch'> & { leaseMs: number; log: FastifyBaseLogger };

/**
 * The service's runs: one at a time in the process (dry runs included, to keep the engine's load bounded), and real
 * runs one at a time across processes through the lake lock. Outcomes are logged; `finished` never rejects.
 */
type CurrentRun = SyncHolder & { finished?: Promise<SyncRun | undefined>; finishing?: boolean };

export class SyncRunner {
  private current: CurrentRun | undefined;
  /** Aborted when the service closes: a run stops between batches, saves what was sent, records itself and frees the lock. */
  private readonly closing = new AbortController();

  constructor(private readonly options: RunnerOptions) {}

  async start(by: 'api' | 'schedule', dryRun = false): Promise<{ runId: string; finished: Promise<SyncRun | undefined> }> {
    // A run whose record is final only writes its rows and frees the lock: wait for it rather than refuse.
    if (this.current?.finishing) await this.current.finished;
    if (this.current) {
      const { finished: _finished, finishing: _finishing, ...holder } = this.current;
      throw new SyncBusyError(holder);
    }
    const { log, ...options } = this.options;
    const current: CurrentRun = { by, host: hostname(), pid: process.pid, acquiredAt: new Date().toISOString() };
    this.current = current; // before any await: two requests at once cannot both start
    if (this.closing.signal.aborted) throw new Error('the service is shutting down');
    const starting = startSync({ ...options, by, dryRun, signal: this.closing.signal, onRecord: (run) => void (current.finishing = run.outcome !== 'running') });
    current.finished = starting
      .then(
        (started) =>
          started.finished.then(
            (run) => {
              // A flagged run (alerts.ts) at error level: a log-based alarm in AWS.
              if (run.alert) log.error({ ...runSummary(run), by }, `sync run ${run.outcome}, flagged: ${maskEmails(run.alert.reasons.join('; '))}`);
              else log.info({ ...runSummary(run), by }, `sync run ${run.outcome}`);
              return run;
            },
            (err: Error) => {
              log.error({ runId: started.runId, by, err: maskEmails(err.message) }, 'sync run ended with an error (its record may still say running)');
              return undefined;
            },
          ),
        () => undefined, // refused or not started: the caller hears of it below
      )
      .finally(() => {
        if (this.current === current) this.current = undefined;
      });
    const { runId } = await starting;
    current.runId = runId;
    log.info({ runId, by, dryRun }, 'sync run started');
    return { runId, finished: current.finished };
  }

  /** Stops the run going (if any) between batches and resolves once it has ended: the app waits for it when closing. */
  async stop(): Promise<void> {
    this.closing.abort();
    await this.current?.finished;
  }
}
