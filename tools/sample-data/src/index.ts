import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  churnLabel, DATASET_NAMES, datasets, type AttendanceRow, type ChurnLabel, type ClassFeedbackRow, type ClassRow, type DatasetName, type EngagementRow,
  type MemberRow, type SignupRow, type TransactionRow,
} from '@peak/contracts';
import { DAY_MS, MINUTE_MS, isoDate, isoTimestamp, parseIsoDate, Zone } from './calendar.js';
import { planDefects, type DefectEntry, type FilePlan, type Format, type PlannedFile } from './dirty.js';
import { OutDirNotEmptyError } from './errors.js';
import { ACTIVE_SHARE_ESTIMATE } from './model.js';
import { resolveOptions, type GenerateOptions, type ResolvedOptions } from './options.js';
import { assignRoutines, buildPopulation, expectedClassDemand, type Member } from './population.js';
import { Rng } from './rng.js';
import { buildSchedule, makeLocations } from './schedule.js';
import { FUTURE_DAYS, Simulation } from './simulate.js';
import { ExportWriter, type FileStats } from './writers.js';

export { DEFAULTS, FORMATS, LIMITS, resolveOptions, type GenerateOptions, type ResolvedOptions } from './options.js';
export { DEFECT_KINDS, FILE_DEFECTS, ROW_DEFECTS, type DefectEntry, type DefectKind, type Format } from './dirty.js';
export { OptionError, OutDirNotEmptyError, SampleDataError } from './errors.js';
export { LOCATION_SLUGS } from './model.js';
export type { FileStats } from './writers.js';

export type Progress = { phase: 'prepare' | 'simulate' | 'finish'; done: number; total: number };

export type Manifest = {
  generator: '@peak/sample-data';
  seed: number;
  /** Every option that shapes the data (the output folder and --force do not). */
  options: Omit<ResolvedOptions, 'out' | 'force' | 'format'> & { format: Format | null };
  /** The --end date: the data is "as of" that day, never the wall clock. */
  generatedAt: string;
  /** The instant the exports were cut: 23:59:59 local time on the end day, in UTC. */
  exportedAt: string;
  window: { start: string; end: string; timezone: string };
  formats: Record<DatasetName, Format>;
  locations: string[];
  files: FileStats[];
};

export type DirtyManifest = { rate: number; kinds: string[]; defects: DefectEntry[] };

export type GenerationResult = { outDir: string; manifest: Manifest; dirty: DirtyManifest; rows: Record<DatasetName | 'churn_labels', number> };

/** Formats a real chain's systems would use: CSV exports, and NDJSON from the app-analytics pipeline. */
const DEFAULT_FORMAT: Record<DatasetName, Format> = {
  members: 'csv', classes: 'csv', signups: 'csv', attendance: 'csv', transactions: 'csv', engagement: 'ndjson', class_feedback: 'csv',
};
const OWN_ENTRIES = ['exports', 'truth', 'manifest.json', 'dirty-manifest.json'];

async function prepareOutDir(dir: string, force: boolean): Promise<void> {
  let entries: string[] = [];
  try {
    entries = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (entries.length > 0 && !force) throw new OutDirNotEmptyError(dir);
  // Only the generator's own entries are removed; anything else the user keeps there stays.
  await Promise.all(OWN_ENTRIES.map((e) => rm(join(dir, e), { recursive: true, force: true })));
  await mkdir(join(dir, 'exports'), { recursive: true });
  await mkdir(join(dir, 'truth'), { recursive: true });
}

/** Generates the whole sample estate into `options.out`. Same options (and seed) ⇒ byte-identical files. */
export async function generate(options: GenerateOptions, onProgress?: (p: Progress) => void): Promise<GenerationResult> {
  const o = resolveOptions(options);
  const outDir = resolve(o.out);
  await prepareOutDir(outDir, o.force);
  onProgress?.({ phase: 'prepare', done: 0, total: 1 });

  const zone = new Zone(o.timezone);
  const lastDay = parseIsoDate(o.end) as number;
  const firstDay = lastDay - o.days + 1;
  const exportAtMs = zone.toUtc(lastDay + 1, 0) - 1000;
  const rng = (name: string) => Rng.stream(o.seed, name);

  const locations = makeLocations(o.locations);
  const members = buildPopulation(rng('population'), { members: o.members, firstDay, lastDay, locations, zone });
  const demand = expectedClassDemand(members, locations.length, ACTIVE_SHARE_ESTIMATE);
  const schedule = buildSchedule(rng('schedule'), { locations, weeklyClassVisits: demand, firstDay, lastDay: lastDay + FUTURE_DAYS, exportAtMs, zone });
  assignRoutines(rng('routines'), members, schedule);

  const formats = Object.fromEntries(DATASET_NAMES.map((d) => [d, o.format ?? DEFAULT_FORMAT[d]])) as Record<DatasetName, Format>;
  const planned: PlannedFile[] = DATASET_NAMES.map((d) => ({
    dataset: d,
    contract: datasets[d],
    format: formats[d],
    knownRows: d === 'members' ? members.length : d === 'classes' ? schedule.sessions.length : undefined,
  }));
  const plans = planDefects(planned, o.dirty, rng('dirty'), { members: members.length, classes: schedule.sessions.length });
  const defects: DefectEntry[] = [];
  const writer = <R extends object>(d: DatasetName) => {
    const file = `exports/${d}.${formats[d]}`;
    const c = datasets[d];
    const plan: FilePlan | undefined = plans.get(d);
    return new ExportWriter<R>(join(outDir, file), file, d, formats[d], c.row, c.columns, c.primaryKey[0], plan, defects);
  };
  const w = {
    members: writer<MemberRow>('members'),
    classes: writer<ClassRow>('classes'),
    signups: writer<SignupRow>('signups'),
    attendance: writer<AttendanceRow>('attendance'),
    transactions: writer<TransactionRow>('transactions'),
    engagement: writer<EngagementRow>('engagement'),
    class_feedback: writer<ClassFeedbackRow>('class_feedback'),
  } satisfies Record<DatasetName, ExportWriter<object>>; // a new dataset without a writer fails tsc here

  for (const s of schedule.sessions) {
    const row: ClassRow = {
      class_id: s.id,
      location_id: locations[s.loc]?.slug as string,
      class_type: s.entry.type,
      class_name: s.entry.name,
      instructor_id: s.instructor.id,
      instructor_name: s.instructor.name,
      starts_at: isoTimestamp(s.startMs),
      duration_minutes: s.entry.duration,
      capacity: s.capacity,
      cancelled: s.cancelAtMs !== undefined,
      updated_at: isoTimestamp(s.updatedMs),
    };
    w.classes.write(row);
  }
  await w.classes.drain();

  const sim = new Simulation(rng('behaviour'), rng('app'), rng('feedback'), members, schedule, zone, firstDay, lastDay, exportAtMs, w);
  await sim.run((done, total) => onProgress?.({ phase: 'simulate', done, total }));

  const finish = rng('finish');
  const truth = new ExportWriter<ChurnLabel>(join(outDir, 'truth/churn_labels.csv'), 'truth/churn_labels.csv', 'churn_labels', 'csv', churnLabel, Object.keys(churnLabel.properties), 'member_id', undefined, []);
  for (const m of members) {
    w.members.write(memberRow(m, finish, locations.map((l) => l.slug), firstDay, lastDay, exportAtMs));
    truth.write(labelOf(m));
  }
  onProgress?.({ phase: 'finish', done: 1, total: 1 });

  const files = await Promise.all([...Object.values(w).map((x) => x.close()), truth.close()]);
  const order = (f: FileStats) => (DATASET_NAMES as readonly string[]).indexOf(f.dataset);
  files.sort((a, b) => (order(a) === -1 ? 99 : order(a)) - (order(b) === -1 ? 99 : order(b)));
  const { out: _out, force: _force, ...recorded } = o;
  const manifest: Manifest = {
    generator: '@peak/sample-data',
    seed: o.seed,
    // null = each dataset in its source system's usual format (see `formats`).
    options: { ...recorded, format: recorded.format ?? null },
    generatedAt: o.end,
    exportedAt: isoTimestamp(exportAtMs),
    window: { start: isoDate(firstDay), end: isoDate(lastDay), timezone: o.timezone },
    formats,
    locations: locations.map((l) => l.slug),
    files,
  };
  const rank = (f: string) => files.findIndex((x) => x.file === f);
  defects.sort((a, b) => rank(a.file) - rank(b.file) || (a.line ?? 0) - (b.line ?? 0));
  const dirty: DirtyManifest = { rate: o.dirty, kinds: [...new Set(defects.map((d) => d.kind))].sort(), defects };
  await writeFile(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await writeFile(join(outDir, 'dirty-manifest.json'), `${JSON.stringify(dirty, null, 2)}\n`);
  const rows = Object.fromEntries(files.map((f) => [f.dataset, f.rows])) as GenerationResult['rows'];
  return { outDir, manifest, dirty, rows };
}

function memberRow(m: Member, rng: Rng, slugs: string[], firstDay: number, lastDay: number, exportAtMs: number): MemberRow {
  const frozen = m.cancelledOn === undefined && m.frozenFrom !== undefined && m.frozenUntil !== undefined && m.frozenFrom <= lastDay && m.frozenUntil > lastDay;
  let updated = m.joinMs + rng.int(1, 20) * MINUTE_MS;
  for (const t of [m.planChangedMs, m.cancelMs, m.freezeMs]) if (t !== undefined && t > updated) updated = t;
  // Some profiles were edited (address, opt-in) at some point inside the window.
  if (rng.chance(0.3)) {
    const from = Math.max(updated, firstDay * DAY_MS);
    if (from < exportAtMs) updated = Math.floor(rng.between(from, exportAtMs) / 1000) * 1000;
  }
  return {
    member_id: m.id,
    email: m.email,
    first_name: m.first,
    last_name: m.last,
    home_location_id: slugs[m.homeLoc] as string,
    join_date: isoDate(m.joinDay),
    plan: m.plan,
    status: m.cancelledOn !== undefined ? 'cancelled' : frozen ? 'frozen' : 'active',
    cancelled_on: m.cancelledOn === undefined ? undefined : isoDate(m.cancelledOn),
    birth_year: m.birthYear,
    marketing_opt_in: m.optIn,
    updated_at: isoTimestamp(Math.min(updated, exportAtMs)),
  };
}

function labelOf(m: Member): ChurnLabel {
  return {
    member_id: m.id,
    churned: m.churnedOn !== undefined,
    churned_on: m.churnedOn === undefined ? undefined : isoDate(m.churnedOn),
    reason: m.churnReason,
    last_visit_on: m.lastVisitInWindow === undefined ? undefined : isoDate(m.lastVisitInWindow),
    visits: m.visits,
    has_routine: m.hasRoutine,
  };
}
