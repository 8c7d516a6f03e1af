/**
 * A small generated lake with a trained, promoted churn model and one day of scores: what the read-side tests
 * (libs/churn/test/read-scores.test.ts, services/leaderboard/test/churn-api.test.ts) read. Not a test file itself.
 */
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckDbEngine, type QueryEngine, type QueryOptions } from '@peak/analytics';
import { FolderLake } from '@peak/lake';
import {
  buildSampleLake, collectTrainingData, DEFAULT_SETTINGS, fitChurnModel, readTruth, registerModel, runScoring, scoresKey, type ChurnModel, type SampleLake, type ScoringSummary,
} from '../src/index.js';
import { sampleLakeAt, type SampleWindow } from '../src/sample-lake.js';
import { testCacheKey, withTestCache } from '../src/test-cache.js';

export type ScoredLake = SampleLake & { model: ChurnModel; scoring: ScoringSummary; scoresFile: string };

const SAMPLE = { members: 400, days: 260, end: '2026-06-30', seed: 9 };
const STEP_DAYS = 28;
const TRAINED_AT = '2026-07-01T04:00:00.000Z';
const REGISTERED_AT = '2026-07-01T04:30:00Z';
const SCORED_AT = '2026-07-01T05:00:00Z';

/** 400 members over 260 days, trained with 28-day steps (a few seconds), promoted and scored as of the last day. */
export async function buildScoredLake(dir: string): Promise<ScoredLake> {
  // Three test files build this same lake: under scripts/test.sh (PEAK_TEST_CACHE_DIR) it is built once per run and copied.
  const key = testCacheKey('scored-lake', { SAMPLE, STEP_DAYS, TRAINED_AT, REGISTERED_AT, SCORED_AT });
  const { window, model, scoring } = await withTestCache(key, dir, trainAndScore);
  const sample = sampleLakeAt(dir, window);
  return { ...sample, model, scoring, scoresFile: join(sample.lakeRoot, scoresKey(scoring.asOf)) };
}

async function trainAndScore(dir: string): Promise<{ window: SampleWindow; model: ChurnModel; scoring: ScoringSummary }> {
  const sample = await buildSampleLake(dir, SAMPLE);
  const engine = new DuckDbEngine({ lakeRoot: sample.lakeRoot, timeZone: sample.timeZone });
  try {
    const lake = new FolderLake(sample.lakeRoot);
    const settings = { ...DEFAULT_SETTINGS, stepDays: STEP_DAYS };
    const data = await collectTrainingData(engine, settings);
    const model = await fitChurnModel(data, settings, await readTruth(sample.truthFile), TRAINED_AT);
    await registerModel(lake, model, data.validation, new Date(REGISTERED_AT));
    const scoring = await runScoring(engine, lake, { now: new Date(SCORED_AT) });
    return { window: { start: sample.start, end: sample.end, timeZone: sample.timeZone }, model, scoring };
  } finally {
    await engine.close();
  }
}

/** One row of the scores file, read straight from the Parquet (not through the engine's views). */
export type ScoreFileRow = {
  member_id: string;
  home_location_id: string;
  score: number;
  band: string;
  factor_1: string | null;
  factor_2: string | null;
  factor_3: string | null;
  model_version: string;
  first_name: string | null;
  last_name: string | null;
  plan: string | null;
};

/**
 * The scores Parquet file with each member's name and plan from the members Parquet (the newest version of each),
 * read by a DuckDB instance of its own: the independent reading the tests compare the read functions with.
 */
export async function readScoresFile(scoresFile: string, lakeRoot: string): Promise<ScoreFileRow[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  const q = (s: string) => `'${s.replaceAll("'", "''")}'`;
  try {
    const r = await con.runAndReadAll(`
      WITH members AS (
        SELECT member_id, first_name, last_name, plan, row_number() OVER (PARTITION BY member_id ORDER BY updated_at DESC) AS n
        FROM read_parquet(${q(join(lakeRoot, 'processed', 'members', '*', '*.parquet'))}, hive_partitioning = false)
      )
      SELECT s.member_id, s.home_location_id, s.score, s.band, s.factor_1, s.factor_2, s.factor_3, s.model_version, m.first_name, m.last_name, m.plan
      FROM read_parquet(${q(scoresFile)}, hive_partitioning = false) s
      LEFT JOIN (SELECT * FROM members WHERE n = 1) m ON m.member_id = s.member_id
      ORDER BY s.member_id`);
    return r.getRowObjectsJson() as ScoreFileRow[];
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}

/** An engine that remembers every SQL text it was sent (to check the texts, and how many queries an answer took). */
export class RecordingEngine implements QueryEngine {
  readonly texts: string[] = [];
  constructor(private readonly inner: QueryEngine) {}
  get name() {
    return this.inner.name;
  }
  query(text: string, options?: QueryOptions) {
    this.texts.push(text);
    return this.inner.query(text, options);
  }
  close() {
    return this.inner.close();
  }
}
