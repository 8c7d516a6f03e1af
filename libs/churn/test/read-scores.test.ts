/**
 * The churn read side on a generated lake, trained and scored for real: every number checked against an independent
 * reading of the scores Parquet file (DuckDB straight on the file, sums and bins in plain loops), bad input, no
 * scores yet, and every SQL text sent checked for portability (Athena and DuckDB).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { checkPortableSql, DuckDbEngine, placeholdersOutsideWhere } from '@peak/analytics';
import { FolderLake } from '@peak/lake';
import {
  churnMembers, churnModelReport, churnSummary, DISTRIBUTION_BINS, latestScoresDay, MAX_MEMBERS_LIMIT, NoModelError, registerModel, runScoring, scoresKey, type ChurnMember,
} from '../src/index.js';
import { buildScoredLake, readScoresFile, RecordingEngine, type ScoreFileRow } from './scored-lake.js';

const dir = t.testdir();
const scored = await buildScoredLake(join(dir, 'world'));
const engine = new RecordingEngine(new DuckDbEngine({ lakeRoot: scored.lakeRoot, timeZone: scored.timeZone }));
t.teardown(() => engine.close());
const lake = new FolderLake(scored.lakeRoot);
// An earlier day's scores too: every answer must read the newest day only.
await runScoring(engine, lake, { asOf: '2026-06-02', now: new Date('2026-06-03T05:00:00Z') });
const rows = await readScoresFile(scored.scoresFile, scored.lakeRoot);
const day = scored.scoring.asOf;

const emptyDir = join(dir, 'empty-lake');
mkdirSync(emptyDir);
const empty = new RecordingEngine(new DuckDbEngine({ lakeRoot: emptyDir, timeZone: scored.timeZone }));
t.teardown(() => empty.close());

/** The summary's numbers computed from file rows with plain loops. */
function expectedSummary(of: readonly ScoreFileRow[]) {
  const bands = { high: 0, medium: 0, low: 0 };
  const bins = new Array<number>(DISTRIBUTION_BINS).fill(0);
  const byLocation = new Map<string, { members: number; sum: number; high: number; medium: number; low: number }>();
  let sum = 0;
  for (const r of of) {
    sum += r.score;
    bands[r.band as keyof typeof bands]++;
    const bin = Math.min(DISTRIBUTION_BINS - 1, Math.floor(r.score * DISTRIBUTION_BINS));
    bins[bin] = (bins[bin] ?? 0) + 1;
    const l = byLocation.get(r.home_location_id) ?? { members: 0, sum: 0, high: 0, medium: 0, low: 0 };
    l.members++;
    l.sum += r.score;
    l[r.band as keyof typeof bands]++;
    byLocation.set(r.home_location_id, l);
  }
  const locations = [...byLocation].sort(([a], [b]) => (a < b ? -1 : 1)).map(([locationId, l]) => ({ locationId, members: l.members, meanScore: l.sum / l.members, high: l.high, medium: l.medium, low: l.low }));
  return { members: of.length, meanScore: sum / of.length, bands, locations, bins };
}

const close = (a: number, b: number) => Math.abs(a - b) < 1e-9;

/** The members list computed from file rows: score descending, then member id. */
const riskiestFirst = (of: readonly ScoreFileRow[]): ChurnMember[] =>
  [...of]
    .sort((a, b) => b.score - a.score || (a.member_id < b.member_id ? -1 : 1))
    .map((r) => ({
      memberId: r.member_id, firstName: r.first_name, lastName: r.last_name, homeLocationId: r.home_location_id, plan: r.plan, score: r.score, band: r.band as ChurnMember['band'],
      factors: [r.factor_1, r.factor_2, r.factor_3].filter((f): f is string => f !== null),
    }));

const locationsInFile = [...new Set(rows.map((r) => r.home_location_id))].sort();

t.test('the newest day', async (t) => {
  t.equal(await latestScoresDay(engine), '2026-06-30', 'the newest of the two scored days');
  t.equal(day, '2026-06-30');
  t.ok(rows.length > 100, `${rows.length} members in the file`);
  t.ok(locationsInFile.length > 1, `${locationsInFile.length} studios`);
});

t.test('summary: every number as the file says, for the newest day only', async (t) => {
  const s = await churnSummary(engine);
  if (!s) throw new Error('no summary');
  const want = expectedSummary(rows);
  t.equal(s.asOf, day);
  t.equal(s.modelVersion, scored.model.version);
  t.equal(s.scoredAt, '2026-07-01T05:00:00.000Z', 'the newest day\'s run, not the earlier day\'s');
  t.equal(s.members, want.members);
  t.ok(close(s.meanScore, want.meanScore), `mean score ${s.meanScore} vs ${want.meanScore}`);
  t.same(s.bands, want.bands);
  t.same(s.bands, scored.scoring.bands, 'as the scoring job reported');
  t.same(s.locations.map((l) => ({ ...l, meanScore: 0 })), want.locations.map((l) => ({ ...l, meanScore: 0 })), 'per studio, sorted by id');
  s.locations.forEach((l, i) => t.ok(close(l.meanScore, want.locations[i]?.meanScore ?? NaN), `${l.locationId}: mean score`));
  t.equal(s.distribution.length, DISTRIBUTION_BINS);
  t.same(s.distribution.map((b) => b.members), want.bins, 'the score distribution');
  t.same(s.distribution.slice(0, 3).map((b) => [b.from, b.to]), [[0, 0.05], [0.05, 0.1], [0.1, 0.15]], 'bins of width 0.05');
  t.same(s.distribution.at(-1), { from: 0.95, to: 1, members: want.bins.at(-1) });
  t.equal(s.distribution.reduce((n, b) => n + b.members, 0), s.members, 'every member is in a bin');
});

t.test('summary for one studio: everything about its members only', async (t) => {
  for (const location of locationsInFile) {
    const s = await churnSummary(engine, { location });
    const want = expectedSummary(rows.filter((r) => r.home_location_id === location));
    t.equal(s?.members, want.members, `${location}: members`);
    t.same(s?.bands, want.bands, `${location}: bands`);
    t.ok(close(s?.meanScore ?? NaN, want.meanScore), `${location}: mean score`);
    t.same(s?.locations.map((l) => l.locationId), [location], `${location}: only itself`);
    t.same(s?.distribution.map((b) => b.members), want.bins, `${location}: distribution`);
  }
});

t.test('an unknown or malformed location is refused with what to send instead', async (t) => {
  await t.rejects(churnSummary(engine, { location: 'atlantis' }), {
    name: 'MetricInputError', code: 'UNKNOWN_FILTER_VALUE', message: `no location "atlantis" in the churn scores of ${day}; known: ${locationsInFile.join(', ')}`,
  });
  await t.rejects(churnMembers(engine, { location: 'atlantis', limit: 10, offset: 0 }), { code: 'UNKNOWN_FILTER_VALUE', message: /known: / });
  await t.rejects(churnMembers(engine, { location: 'atlantis', band: 'high', limit: 10, offset: 0 }), { code: 'UNKNOWN_FILTER_VALUE' });
  const sent = engine.texts.length;
  for (const bad of ["' OR 1=1 --", 'down town', '', 'x'.repeat(65), 'a;DROP TABLE members']) {
    await t.rejects(churnSummary(engine, { location: bad }), { code: 'BAD_FILTER', message: /^location must be an identifier/ }, JSON.stringify(bad));
    await t.rejects(churnMembers(engine, { location: bad, limit: 10, offset: 0 }), { code: 'BAD_FILTER' });
  }
  t.equal(engine.texts.length, sent, 'refused before any query');
});

t.test('members: the whole list, riskiest first, with names, plan and factors', async (t) => {
  const want = riskiestFirst(rows);
  const got: ChurnMember[] = [];
  for (let offset = 0; ; offset += MAX_MEMBERS_LIMIT) {
    const page = await churnMembers(engine, { limit: MAX_MEMBERS_LIMIT, offset });
    if (!page) throw new Error('no page');
    t.equal(page.total, rows.length, `total at offset ${offset}`);
    t.equal(page.asOf, day);
    got.push(...page.members);
    if (page.members.length < MAX_MEMBERS_LIMIT) break;
  }
  t.same(got, want, 'every member, in order, as in the file');
  t.ok(got.every((m) => m.firstName !== null && m.plan !== null), 'every scored member has a name and plan');
  t.ok(got.some((m) => m.factors.length === 3), 'factors in words');
});

t.test('members: paging, bands and studios', async (t) => {
  const all = riskiestFirst(rows);
  const page = await churnMembers(engine, { limit: 7, offset: 10 });
  t.same(page, { asOf: day, total: all.length, limit: 7, offset: 10, members: all.slice(10, 17) }, 'limit 7 from offset 10');
  t.same(await churnMembers(engine, { limit: 5, offset: all.length }), { asOf: day, total: all.length, limit: 5, offset: all.length, members: [] }, 'a page past the end: empty, with the total');
  t.same((await churnMembers(engine, { limit: 50, offset: 1_000_000 }))?.total, all.length, 'the furthest offset allowed');
  t.same((await churnMembers(engine, { limit: 3, offset: 0, order: 'score' }))?.members, all.slice(0, 3), 'order=score is the default order');

  for (const band of ['high', 'medium', 'low'] as const) {
    const want = all.filter((m) => m.band === band);
    const got = await churnMembers(engine, { band, limit: MAX_MEMBERS_LIMIT, offset: 0 });
    t.equal(got?.total, want.length, `${band}: total`);
    t.same(got?.members, want.slice(0, MAX_MEMBERS_LIMIT), `${band}: the riskiest ${MAX_MEMBERS_LIMIT}`);
  }
  for (const location of locationsInFile) {
    for (const band of ['high', 'medium', 'low'] as const) {
      const want = all.filter((m) => m.homeLocationId === location && m.band === band);
      const got = await churnMembers(engine, { location, band, limit: 20, offset: 0 });
      t.same(got && { total: got.total, members: got.members }, { total: want.length, members: want.slice(0, 20) }, `${location}/${band}: ${want.length} (an empty band is an empty page, not an error)`);
    }
  }
});

t.test('members: bad page and filter values', async (t) => {
  const sent = engine.texts.length;
  const bad: [object, string, RegExp][] = [
    [{ limit: 0, offset: 0 }, 'BAD_OPTION', /^limit must be a whole number from 1 to 200, got 0/],
    [{ limit: 201, offset: 0 }, 'BAD_OPTION', /^limit must be a whole number from 1 to 200/],
    [{ limit: 1e9, offset: 0 }, 'BAD_OPTION', /^limit must be/],
    [{ limit: 2.5, offset: 0 }, 'BAD_OPTION', /^limit must be/],
    [{ limit: 10, offset: -1 }, 'BAD_OPTION', /^offset must be a whole number from 0 to 1,000,000, got -1/],
    [{ limit: 10, offset: 1_000_001 }, 'BAD_OPTION', /^offset must be/],
    [{ limit: 10, offset: Number.NaN }, 'BAD_OPTION', /^offset must be/],
    [{ limit: 10, offset: 0, band: 'HIGH' }, 'BAD_FILTER', /^band must be one of high, medium, low, got "HIGH"/],
    [{ limit: 10, offset: 0, order: 'name' }, 'BAD_OPTION', /^order must be score/],
  ];
  for (const [q, code, message] of bad) await t.rejects(churnMembers(engine, q as Parameters<typeof churnMembers>[1]), { name: 'MetricInputError', code, message }, JSON.stringify(q));
  t.equal(engine.texts.length, sent, 'refused before any query');
});

t.test('the model report: the champion, its evaluation and the registry, newest first', async (t) => {
  const before = await churnModelReport(lake);
  const m = scored.model;
  t.same(before, {
    version: m.version, trainedAt: '2026-07-01T04:00:00.000Z', horizonDays: m.horizonDays, inactivityDays: m.inactivityDays, confirmDays: m.confirmDays,
    trainingWindow: m.trainingWindow, bands: { high: 0.5, medium: 0.2 }, evaluation: m.evaluation, kind: m.scorer.kind,
    candidates: m.candidates.map((c) => ({ kind: c.kind, chosen: c.chosen, calibrationRocAuc: c.calibrationRocAuc, validationRocAuc: { lake: c.validation.lake.rocAuc, truth: c.validation.truth?.rocAuc } })),
    registry: [{ version: m.version, trainedAt: m.trainedAt, validationCutoff: '2026-05-01', rocAuc: m.evaluation.lake.model.rocAuc, brier: m.evaluation.lake.model.brier, promoted: true, reason: 'first model', decidedAt: '2026-07-01T04:30:00.000Z' }],
  });
  t.ok(before.evaluation.truth, 'evaluated against the truth too');
  t.equal(before.evaluation.lake.model.reliability.reduce((n, b) => n + b.count, 0), before.evaluation.lake.model.n, 'the reliability table');
  t.same(before.candidates.map((c) => c.kind), ['logistic', 'boosted_trees'], 'both kinds, with their figures');
  t.notOk('scorer' in before || 'coefficients' in before || 'trees' in before, 'not the model\'s internals');
  t.same(JSON.parse(JSON.stringify(before)), before, 'plain JSON');

  await registerModel(lake, m, [], new Date('2026-07-02T04:30:00Z'));
  const after = await churnModelReport(lake);
  t.same(after.registry.map((e) => [e.decidedAt, e.reason]), [
    ['2026-07-02T04:30:00.000Z', 'same version as the champion (same data and settings)'],
    ['2026-07-01T04:30:00.000Z', 'first model'],
  ]);
});

t.test('asOf: another day\'s scores, a day without any, a malformed day', async (t) => {
  const earlier = await readScoresFile(join(scored.lakeRoot, scoresKey('2026-06-02')), scored.lakeRoot);
  const s = await churnSummary(engine, { asOf: '2026-06-02' });
  t.equal(s?.asOf, '2026-06-02');
  t.equal(s?.scoredAt, '2026-06-03T05:00:00.000Z');
  t.equal(s?.members, earlier.length);
  t.same(s?.distribution.map((b) => b.members), expectedSummary(earlier).bins);
  t.same((await churnMembers(engine, { asOf: '2026-06-02', limit: 5, offset: 0 }))?.members, riskiestFirst(earlier).slice(0, 5));
  t.equal(await churnSummary(engine, { asOf: '2026-06-01' }), undefined, 'a day never scored: no answer');
  t.equal(await churnSummary(engine, { asOf: '2026-06-01', location: 'downtown' }), undefined);
  t.equal(await churnMembers(engine, { asOf: '2026-06-01', band: 'high', limit: 5, offset: 0 }), undefined);
  await t.rejects(churnSummary(engine, { asOf: "2026-06-30' --" }), { code: 'BAD_DATE', message: /^asOf must be a date written YYYY-MM-DD/ });
});

t.test('before anything is scored or trained', async (t) => {
  t.equal(await latestScoresDay(empty), undefined);
  t.equal(await churnSummary(empty), undefined);
  t.equal(await churnSummary(empty, { location: 'downtown' }), undefined, 'no scores: no answer rather than an unknown studio');
  t.equal(await churnMembers(empty, { limit: 10, offset: 0 }), undefined);
  await t.rejects(churnModelReport(new FolderLake(emptyDir)), NoModelError);
  await t.rejects(churnModelReport(new FolderLake(emptyDir)), /no churn model has been promoted yet: train one with `npm run churn -- train`/);
});

t.test('every SQL text sent is portable and keeps its parameters in WHERE', async (t) => {
  const texts = [...new Set([...engine.texts, ...empty.texts])].filter((s) => /member_churn_scores/.test(s));
  t.ok(texts.length >= 7, `${texts.length} distinct texts`);
  for (const text of texts) {
    const first = (text.split('\n')[0] ?? '').slice(0, 70);
    t.same(checkPortableSql(text).map((p) => `${p.id}: ${p.text} — ${p.alternative}`), [], `portable: ${first}`);
    t.same(placeholdersOutsideWhere(text), [], `parameters in WHERE: ${first}`);
    t.notMatch(text, /atlantis|downtown|2026-0|HIGH/, `no request value in the text: ${first}`);
  }
});
