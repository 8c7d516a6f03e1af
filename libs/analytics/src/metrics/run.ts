import type { QueryEngine, QueryResult } from '../engine.js';
import { METRICS } from './catalog.js';
import type { MetricDefinition, OptionValues } from './define.js';
import { checkFilters, MetricInputError, type MetricFilters } from './filters.js';
import { sql, trusted, type Sql } from './sql.js';

export type MetricRequest = {
  metric: string;
  filters: Partial<Record<keyof MetricFilters, unknown>>;
  options?: Record<string, unknown>;
  timeoutMs?: number;
};

export type MetricAnswer = Pick<QueryResult, 'columns' | 'rows' | 'stats'> & { metric: string; filters: MetricFilters; options: OptionValues };

export function findMetric(id: unknown): MetricDefinition {
  const metric = METRICS.find((m) => m.id === id);
  if (!metric) throw new MetricInputError('UNKNOWN_METRIC', `unknown metric ${JSON.stringify(id)}; the catalog has: ${METRICS.map((m) => m.id).join(', ')}`);
  return metric;
}

/** The metric's options with defaults filled in; unknown names and out-of-range values are refused. */
export function resolveOptions(metric: MetricDefinition, input: Record<string, unknown> = {}): OptionValues {
  for (const name of Object.keys(input)) {
    if (!(name in metric.options)) {
      const known = Object.keys(metric.options);
      throw new MetricInputError('BAD_OPTION', `${metric.id} has no option ${JSON.stringify(name)}${known.length ? `; it has: ${known.join(', ')}` : ''}`);
    }
  }
  const out: OptionValues = {};
  for (const [name, spec] of Object.entries(metric.options)) {
    const raw = input[name];
    if (raw === undefined || raw === null || raw === '') {
      out[name] = spec.default;
    } else if (spec.kind === 'integer') {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
      if (!Number.isInteger(n) || n < spec.min || n > spec.max) throw new MetricInputError('BAD_OPTION', `${name} must be a whole number from ${spec.min} to ${spec.max}, got ${JSON.stringify(raw)}`);
      out[name] = n;
    } else {
      if (typeof raw !== 'string' || !spec.choices.includes(raw)) throw new MetricInputError('BAD_OPTION', `${name} must be one of ${spec.choices.join(', ')}, got ${JSON.stringify(raw)}`);
      out[name] = raw;
    }
  }
  metric.checkOptions?.(out);
  return out;
}

/** Filter values that name nothing in the lake are refused with the values that do exist (not answered with zeros). */
async function checkFilterValues(engine: QueryEngine, f: MetricFilters, timeoutMs?: number): Promise<void> {
  const asked: [keyof MetricFilters, string, Sql][] = [];
  if (f.location) asked.push(['location', f.location, trusted('SELECT location_id AS value FROM dim_classes UNION SELECT home_location_id FROM dim_members UNION SELECT location_id FROM attendance')]);
  if (f.classType) asked.push(['classType', f.classType, trusted('SELECT class_type AS value FROM dim_classes')]);
  if (f.instructor) asked.push(['instructor', f.instructor, trusted('SELECT instructor_id AS value FROM dim_classes')]);
  for (const [name, value, known] of asked) {
    const lookup = sql`SELECT count(*) AS n FROM (${known}) AS known WHERE value = ${value}`;
    const found = await engine.query(lookup.text, { params: lookup.params, timeoutMs });
    if (Number(found.rows[0]?.n ?? 0) > 0) continue;
    const sample = await engine.query(`SELECT DISTINCT value FROM (${known.text}) AS known WHERE value IS NOT NULL ORDER BY value LIMIT 20`, { timeoutMs });
    const values = sample.rows.map((r) => String(r.value));
    throw new MetricInputError('UNKNOWN_FILTER_VALUE', `no ${name} ${JSON.stringify(value)} in the data${values.length ? `; known: ${values.join(', ')}` : ' (the lake has none yet)'}`);
  }
}

/** Validates the request, builds the metric's SQL and runs it on the engine. */
export async function runMetric(engine: QueryEngine, request: MetricRequest): Promise<MetricAnswer> {
  const metric = findMetric(request.metric);
  const filters = checkFilters(request.filters);
  const options = resolveOptions(metric, request.options);
  await checkFilterValues(engine, filters, request.timeoutMs);
  const built = metric.build(filters, options);
  const result = await engine.query(built.text, { params: built.params, timeoutMs: request.timeoutMs });
  return { metric: metric.id, filters, options, columns: result.columns, rows: result.rows, stats: result.stats };
}
