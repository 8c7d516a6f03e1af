import { Cron } from 'croner';
import type { FastifyBaseLogger } from 'fastify';
import { failureReason } from '@peak/service-kit';
import { SyncBusyError } from './sync/lock.js';
import type { SyncRunner } from './runner.js';

export type ScheduleOptions = { pattern: string; timeZone: string; log: FastifyBaseLogger };

/**
 * The daily sync inside the service (CRM_SYNC_SCHEDULE in STUDIO_TIME_ZONE). A trigger while a run is going — this
 * schedule's (croner's `protect`), the API's or another process's (the lake lock) — is logged and skipped, never
 * retried: the next trigger is tomorrow's. The caller stops the Cron on close.
 */
export function scheduleSyncs(runner: SyncRunner, { pattern, timeZone, log }: ScheduleOptions): Cron {
  const cron = new Cron(
    pattern,
    { timezone: timeZone, protect: () => log.info('scheduled sync skipped: the previous scheduled run is still going') },
    async () => {
      try {
        await (await runner.start('schedule')).finished;
      } catch (err) {
        if (err instanceof SyncBusyError) log.info({ holder: err.current }, `scheduled sync skipped: ${err.message}`);
        else log.error({ err: failureReason(err) }, 'scheduled sync could not start');
      }
    },
  );
  log.info({ schedule: pattern, timeZone, next: cron.nextRun()?.toISOString() }, 'sync scheduled');
  return cron;
}
