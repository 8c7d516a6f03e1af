import { CLASS_TYPES } from '@peak/contracts';
import { MINUTE_MS, dayOfMonth, monthOf, weekday, type Zone } from './calendar.js';
import {
  BAND_LABEL, CLASS_TYPE_SPECS, CLASSES_PER_INSTRUCTOR_WEEK, FRIDAY_EVENING_FACTOR, LOCATION_SIZE, LOCATION_SLUGS,
  SATURDAY_SLOTS, STUDIO_CANCEL_RATE, SUBSTITUTE_RATE, SUNDAY_SLOTS, TARGET_UTILIZATION, TYPE_BAND_AFFINITY, WEEKDAY_SLOTS,
  type Band, type ClassType, type Slot,
} from './model.js';
import { personName } from './names.js';
import type { Rng } from './rng.js';

export type Location = { idx: number; slug: string; size: number };
export type Instructor = { id: string; name: string; loc: number; types: ClassType[]; popularity: number; load: number };
/** One weekly timetable line: "Tuesdays 06:00, Spin 45 with Maya, 24 bikes". */
export type Entry = {
  loc: number;
  dow: number;
  minute: number;
  band: Band;
  weight: number;
  type: ClassType;
  /** Index of `type` in CLASS_TYPES (members' preferences are stored by index). */
  typeIndex: number;
  name: string;
  duration: number;
  capacity: number;
  instructor: Instructor;
};
export type Session = {
  id: string;
  entry: Entry;
  loc: number;
  day: number;
  startMs: number;
  endMs: number;
  capacity: number;
  instructor: Instructor;
  /** When the studio cancelled it; only set when that happened by export time. */
  cancelAtMs: number | undefined;
  updatedMs: number;
  /** Spots taken by bookings that were not cancelled (attended, no-show, still booked). */
  held: number;
  /** Pull on members: slot popularity × instructor popularity. */
  appeal: number;
};
export type Schedule = {
  locations: Location[];
  instructors: Instructor[];
  entries: Entry[][];
  /** [day - firstDay][location] → sessions of that day in start order. */
  byDay: Session[][][];
  sessions: Session[];
  firstDay: number;
};

export const slotsOf = (dow: number): readonly Slot[] => (dow === 0 ? SUNDAY_SLOTS : dow === 6 ? SATURDAY_SLOTS : WEEKDAY_SLOTS);
const slotWeight = (dow: number, slot: Slot): number => slot.weight * (dow === 5 && slot.band === 'evening' ? FRIDAY_EVENING_FACTOR : 1);

/** Studios close on Christmas Day and New Year's Day. */
export const isClosed = (day: number): boolean => {
  const m = monthOf(day);
  const d = dayOfMonth(day);
  return (m === 11 && d === 25) || (m === 0 && d === 1);
};

const AVG_CAPACITY = CLASS_TYPES.reduce((s, t) => s + CLASS_TYPE_SPECS[t].capacity * CLASS_TYPE_SPECS[t].popularity, 0);

export function makeLocations(count: number): Location[] {
  return LOCATION_SLUGS.slice(0, count).map((slug, idx) => ({ idx, slug, size: LOCATION_SIZE[idx] as number }));
}

/**
 * Spreads `total` weekly classes over the template slots: first the best slot of every day (a studio
 * is open daily), the rest in proportion to slot weight (largest remainder).
 */
function classesPerSlot(total: number): { dow: number; slot: Slot; count: number }[] {
  const all = [0, 1, 2, 3, 4, 5, 6].flatMap((dow) => slotsOf(dow).map((slot) => ({ dow, slot, w: slotWeight(dow, slot), count: 0, rest: 0 })));
  for (let dow = 0; dow < 7; dow++) {
    const best = all.filter((x) => x.dow === dow).sort((a, b) => b.w - a.w || a.slot.minute - b.slot.minute)[0];
    if (best) best.count = 1;
  }
  const remaining = Math.max(0, total - 7);
  const sum = all.reduce((s, x) => s + x.w, 0);
  for (const x of all) {
    const exact = (x.w / sum) * remaining;
    x.count += Math.floor(exact);
    x.rest = exact - Math.floor(exact);
  }
  let missing = remaining - all.reduce((s, x) => s + Math.floor((x.w / sum) * remaining), 0);
  const byRest = [...all].sort((a, b) => b.rest - a.rest || b.w - a.w || a.dow - b.dow || a.slot.minute - b.slot.minute);
  for (const x of byRest) {
    if (missing <= 0) break;
    x.count++;
    missing--;
  }
  return all.filter((x) => x.count > 0);
}

function pickTypes(rng: Rng, band: Band, weekend: boolean, count: number): ClassType[] {
  const affinity = TYPE_BAND_AFFINITY[weekend ? 'weekend' : band];
  const pool = [...CLASS_TYPES];
  const picked: ClassType[] = [];
  for (let i = 0; i < count; i++) {
    // Past eight parallel rooms a type repeats (two spin rooms at a big flagship).
    if (pool.length === 0) pool.push(...CLASS_TYPES);
    const idx = rng.weighted(pool.map((t) => CLASS_TYPE_SPECS[t].popularity * affinity[t]));
    picked.push(pool[idx] as ClassType);
    pool.splice(idx, 1);
  }
  return picked;
}

/** Weekly timetable of one location, sized so that offered spots ≈ expected demand / target utilization. */
function buildTimetable(rng: Rng, loc: number, weeklyClassVisits: number, instructors: Instructor[]): Entry[] {
  const weeklyClasses = Math.max(7, Math.round(weeklyClassVisits / (TARGET_UTILIZATION * AVG_CAPACITY)));
  const roomCapacity = new Map<ClassType, number>(CLASS_TYPES.map((t) => [t, Math.max(6, Math.round(CLASS_TYPE_SPECS[t].capacity * rng.between(0.85, 1.15)))]));
  const drafts: Omit<Entry, 'instructor'>[] = [];
  for (const { dow, slot, count } of classesPerSlot(weeklyClasses)) {
    const weekend = dow === 0 || dow === 6;
    for (const type of pickTypes(rng, slot.band, weekend, count)) {
      const spec = CLASS_TYPE_SPECS[type];
      const label = weekend && slot.band === 'morning' ? 'Weekend' : rng.pick(BAND_LABEL[slot.band]);
      drafts.push({
        loc, dow, minute: slot.minute, band: slot.band, weight: slotWeight(dow, slot), type, typeIndex: CLASS_TYPES.indexOf(type),
        name: `${label} ${rng.pick(spec.names)} ${spec.duration}`, duration: spec.duration, capacity: roomCapacity.get(type) as number,
      });
    }
  }
  // Instructors: each teaches a main type (weighted by how often the location runs it) and one or two more.
  const typeCount = new Map<ClassType, number>();
  for (const d of drafts) typeCount.set(d.type, (typeCount.get(d.type) ?? 0) + 1);
  const used = [...typeCount.keys()];
  const staff: Instructor[] = [];
  const hire = (types: ClassType[]): Instructor => {
    const { first, last } = personName(rng);
    const ins: Instructor = { id: `I${String(instructors.length + 1).padStart(3, '0')}`, name: `${first} ${last}`, loc, types, popularity: rng.lognormal(1, 0.35), load: 0 };
    instructors.push(ins);
    staff.push(ins);
    return ins;
  };
  const headcount = Math.max(2, Math.ceil(drafts.length / CLASSES_PER_INSTRUCTOR_WEEK));
  for (let i = 0; i < headcount; i++) {
    const main = used[rng.weighted(used.map((t) => typeCount.get(t) as number))] as ClassType;
    const extra = rng.shuffle(used.filter((t) => t !== main)).slice(0, rng.int(1, 2));
    hire([main, ...extra]);
  }
  for (const t of used) if (!staff.some((s) => s.types.includes(t))) (rng.pick(staff) as Instructor).types.push(t);
  drafts.sort((a, b) => a.dow - b.dow || a.minute - b.minute);
  const busy = new Set<string>();
  return drafts.map((d) => {
    const free = staff.filter((s) => s.types.includes(d.type) && !busy.has(`${s.id}@${d.dow}:${d.minute}`));
    let instructor: Instructor;
    if (free.length === 0) instructor = hire([d.type]);
    else {
      const least = Math.min(...free.map((s) => s.load));
      instructor = rng.pick(free.filter((s) => s.load === least));
    }
    instructor.load++;
    busy.add(`${instructor.id}@${d.dow}:${d.minute}`);
    return { ...d, instructor };
  });
}

export function buildSchedule(
  rng: Rng,
  args: { locations: Location[]; weeklyClassVisits: number[]; firstDay: number; lastDay: number; exportAtMs: number; zone: Zone },
): Schedule {
  const instructors: Instructor[] = [];
  const entries = args.locations.map((l) => buildTimetable(rng, l.idx, args.weeklyClassVisits[l.idx] ?? 0, instructors));
  const byDay: Session[][][] = [];
  const sessions: Session[] = [];
  for (let day = args.firstDay; day <= args.lastDay; day++) {
    const dow = weekday(day);
    const perLoc: Session[][] = args.locations.map(() => []);
    byDay.push(perLoc);
    if (isClosed(day)) continue;
    const today: Session[] = [];
    for (const locEntries of entries) {
      for (const entry of locEntries) {
        if (entry.dow !== dow) continue;
        const startMs = args.zone.toUtc(day, entry.minute);
        let instructor = entry.instructor;
        let updatedMs = args.zone.toUtc(day - rng.int(14, 28), rng.int(9 * 60, 17 * 60)) + rng.int(0, 59) * 1000;
        if (rng.chance(SUBSTITUTE_RATE)) {
          const subs = instructors.filter((s) => s.loc === entry.loc && s !== entry.instructor && s.types.includes(entry.type));
          const changedMs = startMs - rng.int(2 * 60, 72 * 60) * MINUTE_MS;
          if (subs.length > 0 && changedMs <= args.exportAtMs) {
            instructor = rng.pick(subs);
            updatedMs = changedMs;
          }
        }
        let cancelAtMs: number | undefined;
        if (rng.chance(STUDIO_CANCEL_RATE)) {
          const at = startMs - rng.int(60, 48 * 60) * MINUTE_MS;
          // A cancellation after the export instant has not happened yet as far as the export knows.
          if (at <= args.exportAtMs) {
            cancelAtMs = at;
            updatedMs = Math.max(updatedMs, at);
          }
        }
        today.push({
          id: '', entry, loc: entry.loc, day, startMs, endMs: startMs + entry.duration * MINUTE_MS, capacity: entry.capacity, instructor,
          cancelAtMs, updatedMs, held: 0, appeal: entry.weight * instructor.popularity,
        });
      }
    }
    today.sort((a, b) => a.startMs - b.startMs || a.loc - b.loc);
    for (const s of today) {
      s.id = `C${String(sessions.length + 1).padStart(7, '0')}`;
      sessions.push(s);
      perLoc[s.loc]?.push(s);
    }
  }
  return { locations: args.locations, instructors, entries, byDay, sessions, firstDay: args.firstDay };
}

