/**
 * Calendar arithmetic for the planner, in the studios' time zone: local days are `YYYY-MM-DD` (as `local_date` in
 * the star schema), instants are ISO 8601 UTC (as the email-request contract wants them).
 */
import { Cron } from 'croner';
import { offsetFormat, offsetMinutesAt } from '@peak/analytics';

const DAY_MS = 86_400_000;

export const isIsoDay = (value: string): boolean =>
  /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) === value;

export const addDays = (day: string, days: number): string => new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);

/** Whole days from `from` to `to` (positive when `to` is later). */
export const daysBetween = (from: string, to: string): number => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);

/** ISO weekday of a day: 1 = Monday … 7 = Sunday. */
export const isoWeekday = (day: string): number => ((new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;

/** The ISO 8601 week key (`2026-W23`) of the week holding `day` (numbered by the year of its Thursday). */
export function isoWeekKey(day: string): string {
  const thursday = addDays(day, 4 - isoWeekday(day));
  const year = Number(thursday.slice(0, 4));
  const week = Math.floor(daysBetween(`${year}-01-01`, thursday) / 7) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

export type Week = { key: string; from: string; to: string };

/** The last full ISO week (Monday–Sunday) on or before `asOf` — the week ending `asOf` when it is a Sunday — and the week before it. */
export function lastFullWeeks(asOf: string): { last: Week; previous: Week } {
  const weekday = isoWeekday(asOf);
  const to = weekday === 7 ? asOf : addDays(asOf, -weekday);
  const from = addDays(to, -6);
  const previousFrom = addDays(from, -7);
  return { last: { key: isoWeekKey(from), from, to }, previous: { key: isoWeekKey(previousFrom), from: previousFrom, to: addDays(from, -1) } };
}

/** The instant (ms) a local day starts in `timeZone`; the offset is read twice because a DST change can move it. */
export function localMidnightMs(day: string, timeZone: string): number {
  const format = offsetFormat(timeZone);
  const wall = Date.parse(`${day}T00:00:00Z`);
  const guess = wall - offsetMinutesAt(format, wall) * 60_000;
  return wall - offsetMinutesAt(format, guess) * 60_000;
}

/** The instant a local day starts, ISO 8601 UTC. */
export const localMidnight = (day: string, timeZone: string): string => new Date(localMidnightMs(day, timeZone)).toISOString();

/** The local day an instant falls on. */
export function localDay(instant: number, timeZone: string): string {
  const format = offsetFormat(timeZone);
  return new Date(instant + offsetMinutesAt(format, instant) * 60_000).toISOString().slice(0, 10);
}

/** Whether a cron expression (read in `timeZone`) fires at some time during the local day `day`. */
export function firesOn(cron: string, day: string, timeZone: string): boolean {
  const start = localMidnightMs(day, timeZone);
  const end = localMidnightMs(addDays(day, 1), timeZone);
  const job = new Cron(cron, { timezone: timeZone, paused: true });
  try {
    const next = job.nextRun(new Date(start - 1000));
    return next !== null && next.getTime() >= start && next.getTime() < end;
  } finally {
    job.stop();
  }
}
