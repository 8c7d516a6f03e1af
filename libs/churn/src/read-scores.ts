/**
 * The read side of the churn model: what the dashboard and its API show. Scores come from `member_churn_scores`
 * (the newest day only, one partition read) through the query engine — DuckDB locally, Athena in AWS, the same SQL
 * text — and the model's evaluation from the registry in the lake. Every answer is plain JSON.
 */
import { MetricInputError, sql, trusted, type QueryEngine, type Row, type Sql } from '@peak/analytics';
import { CHURN_BANDS } from '@peak/contracts';
import type { Lake } from '@peak/lake';
import type { Band, ChurnModel, ModelKind } from './model.js';
import { loadChampion, readRegistry, type RegistryEntry } from './registry.js';

export type BandCounts = Record<Band, number>;
export type ChurnLocationSummary = BandCounts & { locationId: string; members: number; meanScore: number };
/** Members whose score is in [from, to) (the last bin also holds 1.0). */
export type ChurnScoreBin = { from: number; to: number; members: number };

export type ChurnSummary = {
  /** The scores' day (the newest the lake has). */
  asOf: string;
  modelVersion: string;
  scoredAt: string;
  members: number;
  meanScore: number;
  bands: BandCounts;
  /** One per home studio, sorted by id. */
  locations: ChurnLocationSummary[];
  /** DISTRIBUTION_BINS bins of equal width over [0, 1]. */
  distribution: ChurnScoreBin[];
};

export type ChurnMember = {
  memberId: string;
  /** Name and plan from dim_members; null for a scored member the members export no longer has. */
  firstName: string | null;
  lastName: string | null;
  homeLocationId: string;
  plan: string | null;
  score: number;
  band: Band;
  /** The factors raising this member's risk most, in words, strongest first (up to three). */
  factors: string[];
};

export type ChurnMembersPage = { asOf: string; total: number; limit: number; offset: number; members: ChurnMember[] };

export type ChurnModelReport = Pick<ChurnModel, 'version' | 'trainedAt' | 'horizonDays' | 'inactivityDays' | 'confirmDays' | 'trainingWindow' | 'bands' | 'evaluation'> & {
  /** The kind of model chosen (the simplest, unless another ranked the calibration members clearly better). */
  kind: ModelKind;
  /** Every kind fitted on the same rows, with its ROC AUC on the calibration members and the validation day. */
  candidates: { kind: ModelKind; chosen: boolean; calibrationRocAuc: number; validationRocAuc: { lake: number; truth?: number } }[];
  /** Every training run the registry recorded, newest first. */
  registry: RegistryEntry[];
};

export type ScoresFilter = {
  location?: string;
  /** The scores day to read (default: the newest, latestScoresDay); a caller that already looked it up passes it. */
  asOf?: string;
  timeoutMs?: number;
};
export type MembersQuery = ScoresFilter & { band?: Band; limit: number; offset: number; order?: 'score' };

export const DISTRIBUTION_BINS = 20;
/** Largest page of members (a dashboard table, not an export). */
export const MAX_MEMBERS_LIMIT = 200;
/** Furthest a page may start: far beyond any chain's members, near enough to refuse a typo. */
export const MAX_MEMBERS_OFFSET = 1_000_000;
const ID = /^[A-Za-z0-9_.:-]{1,64}$/;

// ---------------------------------------------------------------------------------------------
// SQL (exported so the tests check every text for portability). Values are always `?` parameters, and
// every parameter sits in a WHERE clause (the only place Athena accepts them).

/** The day's partition of the scores, narrowed to a home studio when asked; `alias` qualifies the columns. */
function scoresOf(day: string, location: string | undefined, alias = ''): Sql {
  const a = trusted(alias ? `${alias}.` : '');
  return sql`${a}dt = CAST(${day} AS DATE)${location === undefined ? trusted('') : sql` AND ${a}home_location_id = ${location}`}`;
}

const bandColumns = CHURN_BANDS.map((b) => `sum(CASE WHEN band = '${b}' THEN 1 ELSE 0 END) AS ${b}`).join(', ');

export const churnSql = {
  latestDay: (): Sql => sql`SELECT max(dt) AS day FROM member_churn_scores`,

  totals: (day: string, location?: string): Sql => sql`SELECT count(*) AS members, avg(score) AS mean_score, ${trusted(bandColumns)},
  max(model_version) AS model_version, max(scored_at) AS scored_at
FROM member_churn_scores
WHERE ${scoresOf(day, location)}`,

  byLocation: (day: string, location?: string): Sql => sql`SELECT home_location_id, count(*) AS members, avg(score) AS mean_score, ${trusted(bandColumns)}
FROM member_churn_scores
WHERE ${scoresOf(day, location)}
GROUP BY home_location_id
ORDER BY home_location_id`,

  // Bin i holds [i/20, (i+1)/20); a score of exactly 1 goes to the last bin.
  distribution: (day: string, location?: string): Sql => sql`SELECT bin, count(*) AS members
FROM (
  SELECT CASE WHEN score >= 1 THEN ${trusted(String(DISTRIBUTION_BINS - 1))} WHEN score <= 0 THEN 0 ELSE CAST(floor(score * ${trusted(String(DISTRIBUTION_BINS))}) AS INTEGER) END AS bin
  FROM member_churn_scores
  WHERE ${scoresOf(day, location)}
) AS binned
GROUP BY bin
ORDER BY bin`,

  knownLocations: (day: string): Sql => sql`SELECT DISTINCT home_location_id FROM member_churn_scores WHERE ${scoresOf(day, undefined)} ORDER BY home_location_id`,

  /** One page by score (highest first, then member id), with the count of every matching row; rows (offset, offset + limit]. */
  membersPage: (day: string, q: Pick<MembersQuery, 'location' | 'band' | 'limit' | 'offset'>): Sql => sql`SELECT member_id, first_name, last_name, home_location_id, plan, score, band,
  factor_1, factor_2, factor_3, total
FROM (
  SELECT s.member_id, m.first_name, m.last_name, s.home_location_id, m.plan, s.score, s.band, s.factor_1, s.factor_2, s.factor_3,
    row_number() OVER (ORDER BY s.score DESC, s.member_id) AS row_no,
    count(*) OVER () AS total
  FROM member_churn_scores s
  LEFT JOIN dim_members m ON m.member_id = s.member_id
  WHERE ${membersWhere(day, q)}
) AS ranked
WHERE row_no > ${q.offset} AND row_no <= ${q.offset + q.limit}
ORDER BY row_no`,

  /** How many rows match (for a page past the last one, which carries no count). */
  membersCount: (day: string, q: Pick<MembersQuery, 'location' | 'band'>): Sql => sql`SELECT count(*) AS total FROM member_churn_scores s WHERE ${membersWhere(day, q)}`,
};

function membersWhere(day: string, q: Pick<MembersQuery, 'location' | 'band'>): Sql {
  return sql`${scoresOf(day, q.location, 's')}${q.band === undefined ? trusted('') : sql` AND s.band = ${q.band}`}`;
}

// ---------------------------------------------------------------------------------------------
// Reading

async function run(engine: QueryEngine, query: Sql, timeoutMs: number | undefined): Promise<Row[]> {
  return (await engine.query(query.text, { params: query.params, ...(timeoutMs === undefined ? {} : { timeoutMs }) })).rows;
}

/** A value the SQL guarantees; anything else is a bug between this SQL and the engine, so it throws. */
function num(row: Row | undefined, column: string): number {
  const v = row?.[column];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`member_churn_scores: ${column} should be a number, got ${JSON.stringify(v)}`);
  return v;
}
function str(row: Row | undefined, column: string): string {
  const v = row?.[column];
  if (typeof v !== 'string') throw new Error(`member_churn_scores: ${column} should be text, got ${JSON.stringify(v)}`);
  return v;
}
const strOrNull = (row: Row, column: string): string | null => (row[column] === null || row[column] === undefined ? null : str(row, column));
const bandsOf = (row: Row | undefined): BandCounts => ({ high: num(row, 'high'), medium: num(row, 'medium'), low: num(row, 'low') });

function checkLocation(location: unknown): string | undefined {
  if (location === undefined) return undefined;
  if (typeof location !== 'string' || !ID.test(location)) {
    throw new MetricInputError('BAD_FILTER', `location must be an identifier (letters, digits, _ . : -, at most 64), got ${JSON.stringify(location).slice(0, 80)}`);
  }
  return location;
}

/** The home studios with scores on the day (none: the day has no scores). */
async function locationsOf(engine: QueryEngine, day: string, timeoutMs: number | undefined): Promise<string[]> {
  return (await run(engine, churnSql.knownLocations(day), timeoutMs)).map((r) => str(r, 'home_location_id'));
}

const unknownLocation = (location: string, day: string, known: readonly string[]) =>
  new MetricInputError('UNKNOWN_FILTER_VALUE', `no location ${JSON.stringify(location)} in the churn scores of ${day}; known: ${known.join(', ')}`);

async function scoresDay(engine: QueryEngine, filter: ScoresFilter): Promise<string | undefined> {
  if (filter.asOf === undefined) return latestScoresDay(engine, filter);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(filter.asOf)) throw new MetricInputError('BAD_DATE', `asOf must be a date written YYYY-MM-DD, got ${JSON.stringify(filter.asOf).slice(0, 80)}`);
  return filter.asOf;
}

/** The newest day with churn scores, or undefined before the first scoring run. */
export async function latestScoresDay(engine: QueryEngine, options: { timeoutMs?: number } = {}): Promise<string | undefined> {
  const v = (await run(engine, churnSql.latestDay(), options.timeoutMs))[0]?.day;
  return typeof v === 'string' ? v : undefined;
}

/**
 * The newest day's scores (or `asOf`'s) at a glance: counts by band, mean score, per home studio, and the distribution
 * of scores. Undefined when nothing has been scored (that day); a location that has no scores that day is a
 * MetricInputError (UNKNOWN_FILTER_VALUE) naming the ones that have.
 */
export async function churnSummary(engine: QueryEngine, filter: ScoresFilter = {}): Promise<ChurnSummary | undefined> {
  const location = checkLocation(filter.location);
  const day = await scoresDay(engine, filter);
  if (day === undefined) return undefined;
  const [totals, locations, bins] = await Promise.all(
    [churnSql.totals(day, location), churnSql.byLocation(day, location), churnSql.distribution(day, location)].map((q) => run(engine, q, filter.timeoutMs)),
  );
  const t = totals?.[0];
  const members = num(t, 'members');
  if (members === 0) {
    // No rows: a studio without scores while others have some is unknown; a day without any scores is no answer.
    const known = await locationsOf(engine, day, filter.timeoutMs);
    if (location !== undefined && known.length > 0) throw unknownLocation(location, day, known);
    return undefined;
  }
  const perBin = new Map((bins ?? []).map((r) => [num(r, 'bin'), num(r, 'members')]));
  return {
    asOf: day,
    modelVersion: str(t, 'model_version'),
    scoredAt: str(t, 'scored_at'),
    members,
    meanScore: num(t, 'mean_score'),
    bands: bandsOf(t),
    locations: (locations ?? []).map((r) => ({ locationId: str(r, 'home_location_id'), members: num(r, 'members'), meanScore: num(r, 'mean_score'), ...bandsOf(r) })),
    distribution: Array.from({ length: DISTRIBUTION_BINS }, (_, i) => ({ from: i / DISTRIBUTION_BINS, to: (i + 1) / DISTRIBUTION_BINS, members: perBin.get(i) ?? 0 })),
  };
}

function checkMembersQuery(q: MembersQuery): void {
  const whole = (name: string, v: unknown, min: number, max: number) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
      throw new MetricInputError('BAD_OPTION', `${name} must be a whole number from ${min} to ${max.toLocaleString('en-US')}, got ${JSON.stringify(v)}`);
    }
  };
  whole('limit', q.limit, 1, MAX_MEMBERS_LIMIT);
  whole('offset', q.offset, 0, MAX_MEMBERS_OFFSET);
  if (q.band !== undefined && !(CHURN_BANDS as readonly unknown[]).includes(q.band)) {
    throw new MetricInputError('BAD_FILTER', `band must be one of ${CHURN_BANDS.join(', ')}, got ${JSON.stringify(q.band).slice(0, 80)}`);
  }
  if (q.order !== undefined && q.order !== 'score') throw new MetricInputError('BAD_OPTION', `order must be score, got ${JSON.stringify(q.order).slice(0, 80)}`);
}

/**
 * One page of the newest day's (or `asOf`'s) scored members, riskiest first (score descending, then member id), with
 * their names, plan and factors; `total` counts every member the filters match. Undefined when nothing has been scored
 * (that day); an unknown location as for churnSummary.
 */
export async function churnMembers(engine: QueryEngine, q: MembersQuery): Promise<ChurnMembersPage | undefined> {
  const location = checkLocation(q.location);
  checkMembersQuery(q);
  const day = await scoresDay(engine, q);
  if (day === undefined) return undefined;
  const filters = { ...(location === undefined ? {} : { location }), ...(q.band === undefined ? {} : { band: q.band }) };
  const rows = await run(engine, churnSql.membersPage(day, { ...filters, limit: q.limit, offset: q.offset }), q.timeoutMs);
  // A page past the end has no row to carry the count.
  const total = rows.length > 0 ? num(rows[0], 'total') : num((await run(engine, churnSql.membersCount(day, filters), q.timeoutMs))[0], 'total');
  if (total === 0) {
    // A band may simply be empty (an empty page); a studio without scores while others have some is unknown; a day without any scores is no answer.
    const known = await locationsOf(engine, day, q.timeoutMs);
    if (known.length === 0) return undefined;
    if (location !== undefined && !known.includes(location)) throw unknownLocation(location, day, known);
  }
  return {
    asOf: day,
    total,
    limit: q.limit,
    offset: q.offset,
    members: rows.map((r) => ({
      memberId: str(r, 'member_id'),
      firstName: strOrNull(r, 'first_name'),
      lastName: strOrNull(r, 'last_name'),
      homeLocationId: str(r, 'home_location_id'),
      plan: strOrNull(r, 'plan'),
      score: num(r, 'score'),
      band: str(r, 'band') as Band,
      factors: ['factor_1', 'factor_2', 'factor_3'].map((c) => strOrNull(r, c)).filter((f): f is string => f !== null && f !== ''),
    })),
  };
}

/**
 * The promoted model as the dashboard explains it: what it predicts, what it was trained on, how it did against the
 * lake's labels and (when given at training) the generator's truth, model and baseline side by side with the
 * reliability table; and every training run the registry recorded, newest first. No champion: NoModelError.
 */
export async function churnModelReport(lake: Lake): Promise<ChurnModelReport> {
  const [m, registry] = await Promise.all([loadChampion(lake), readRegistry(lake)]);
  return {
    version: m.version,
    trainedAt: m.trainedAt,
    horizonDays: m.horizonDays,
    inactivityDays: m.inactivityDays,
    confirmDays: m.confirmDays,
    trainingWindow: m.trainingWindow,
    bands: m.bands,
    evaluation: m.evaluation,
    kind: m.scorer.kind,
    candidates: m.candidates.map((c) => ({
      kind: c.kind, chosen: c.chosen, calibrationRocAuc: c.calibrationRocAuc,
      validationRocAuc: { lake: c.validation.lake.rocAuc, ...(c.validation.truth ? { truth: c.validation.truth.rocAuc } : {}) },
    })),
    // The registry appends each run: reversed is newest first, whatever the clocks said.
    registry: [...registry.entries].reverse(),
  };
}
