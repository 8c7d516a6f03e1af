/**
 * Quiet hours: marketing mail is not sent at night in the studio's time zone. A message that arrives inside the
 * window is held (its SQS visibility pushed to the window's end) and sent when the window opens.
 */
export type QuietHours = { startMinute: number; endMinute: number };

/** `21:00-08:00` → minutes after midnight; `off` → undefined. */
export function parseQuietHours(text: string): QuietHours | undefined {
  if (text.trim().toLowerCase() === 'off') return undefined;
  const m = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/.exec(text.trim());
  if (!m) throw new Error(`quiet hours must look like 21:00-08:00 (local, 24-hour) or be "off"; got ${JSON.stringify(text)}`);
  const startMinute = Number(m[1]) * 60 + Number(m[2]);
  const endMinute = Number(m[3]) * 60 + Number(m[4]);
  if (startMinute === endMinute) throw new Error(`quiet hours ${text} start and end at the same time: use "off" for none`);
  return { startMinute, endMinute };
}

function localMinuteOfDay(at: Date, timeZone: string): { minute: number; second: number } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return { minute: get('hour') * 60 + get('minute'), second: get('second') };
}

/** Seconds until the quiet window ends, or 0 when `at` is outside it. (Across a DST change it may be an hour off: the message is simply checked again.) */
export function secondsUntilQuietEnds(at: Date, quiet: QuietHours | undefined, timeZone: string): number {
  if (!quiet) return 0;
  const { minute, second } = localMinuteOfDay(at, timeZone);
  const { startMinute: s, endMinute: e } = quiet;
  const inside = s < e ? minute >= s && minute < e : minute >= s || minute < e;
  if (!inside) return 0;
  const minutesLeft = (e - minute + 1440) % 1440;
  return Math.max(1, minutesLeft * 60 - second);
}
