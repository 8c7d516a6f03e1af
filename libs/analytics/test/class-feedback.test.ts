/**
 * class_ratings against answers computed here by plain loops over the example world's ratings (src/fixtures/example-world.ts),
 * for several filter combinations. The SQL and these loops share nothing but the data.
 */
import t from 'tap';
import { DuckDbEngine, runMetric, writeExampleLake, writeLake, type FixtureRow, type MetricFilters } from '@peak/analytics';
import { buildWorld, localTime, ZONE } from './world.js';

const world = buildWorld();
// A class far ahead for I02 under another name: the name shown is the one on their latest class.
const renamed: FixtureRow = { ...(world.classes.find((c) => c.instructor_id === 'I02') as FixtureRow), class_id: 'C9000001', instructor_name: 'Sam Roe', starts_at: '2026-12-01T15:00:00Z' };
const root = t.testdir();
await writeExampleLake(root, world);
await writeLake(root, { classes: [renamed] }, 'b3');
const engine = new DuckDbEngine({ lakeRoot: root, timeZone: ZONE });
t.teardown(() => engine.close());

const classes = [...world.classes, renamed];
const classById = new Map(classes.map((c) => [String(c.class_id), c]));
/** Each rating with its local day (by Intl) and the class it rates. */
const ratings = world.classFeedback.map((r) => ({ r, day: localTime(String(r.submitted_at), ZONE).date, c: classById.get(String(r.class_id)) as FixtureRow }));
const near = (a: unknown, b: number | null) => (b === null ? a === null : typeof a === 'number' && Math.abs(a - b) < 1e-9);

/** The name on an instructor's latest class (ties: the greater class id). */
function nameOf(instructor: string): unknown {
  const theirs = classes.filter((c) => c.instructor_id === instructor);
  theirs.sort((a, b) => String(b.starts_at).localeCompare(String(a.starts_at)) || String(b.class_id).localeCompare(String(a.class_id)));
  return theirs[0]?.instructor_name;
}

function expected(f: Partial<MetricFilters>, from: string, to: string, minRatings: number) {
  const groups = new Map<string, FixtureRow[]>();
  for (const x of ratings) {
    const c = x.c;
    if (x.day < from || x.day > to) continue;
    if ((f.location && c.location_id !== f.location) || (f.classType && c.class_type !== f.classType) || (f.instructor && c.instructor_id !== f.instructor)) continue;
    const key = `${String(c.class_type)}|${String(c.instructor_id)}`;
    groups.set(key, [...(groups.get(key) ?? []), x.r]);
  }
  return [...groups]
    .filter(([, rs]) => rs.length >= minRatings)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, rs]) => {
      const [classType, instructor] = key.split('|') as [string, string];
      const answered = rs.filter((r) => r.would_recommend !== null);
      return {
        class_type: classType, instructor_id: instructor, instructor_name: nameOf(instructor), ratings: rs.length,
        classes_rated: new Set(rs.map((r) => r.class_id)).size,
        avg_rating: rs.reduce((s, r) => s + Number(r.rating), 0) / rs.length,
        top_box_share: rs.filter((r) => Number(r.rating) >= 4).length / rs.length,
        would_recommend_share: answered.length ? answered.filter((r) => r.would_recommend === true).length / answered.length : null,
        comments: rs.filter((r) => r.comment !== null).length,
      };
    });
}

t.test('the world has what the test needs', async (t) => {
  t.ok(ratings.length > 100, `${ratings.length} ratings`);
  t.ok(ratings.some((x) => x.day !== String(x.r.submitted_at).slice(0, 10)), 'some ratings fall on the previous local day');
  t.ok(ratings.some((x) => x.r.would_recommend === null) && ratings.some((x) => x.r.would_recommend === false), 'unanswered and negative recommend answers');
  t.ok(ratings.some((x) => String(x.r.comment).includes('"')), 'a comment with a quote');
  t.equal(nameOf('I02'), 'Sam Roe');
});

t.test('class_ratings', async (t) => {
  const filterSets: Partial<MetricFilters>[] = [{}, { location: 'downtown' }, { classType: 'spin' }, { instructor: 'I01' }, { location: 'riverside', classType: 'yoga' }];
  const [from, to] = ['2026-02-01', '2026-04-15'];
  for (const f of filterSets) {
    for (const minRatings of [1, 7]) {
      const want = expected(f, from, to, minRatings);
      const { rows } = await runMetric(engine, { metric: 'class_ratings', filters: { ...f, from, to }, options: { minRatings } });
      const label = `${JSON.stringify(f)}, minRatings ${minRatings}`;
      t.equal(rows.length, want.length, `${label}: ${want.length} groups`);
      want.forEach((w, i) => {
        const r = rows[i] ?? {};
        const exact = ['class_type', 'instructor_id', 'instructor_name', 'ratings', 'classes_rated', 'comments'] as const;
        t.same(Object.fromEntries(exact.map((k) => [k, r[k]])), Object.fromEntries(exact.map((k) => [k, w[k]])), `${label}: ${w.class_type} × ${w.instructor_id} counts`);
        for (const k of ['avg_rating', 'top_box_share', 'would_recommend_share'] as const) t.ok(near(r[k], w[k]), `${label}: ${w.class_type} × ${w.instructor_id} ${k} ${w[k]}`);
      });
    }
  }
  const kept = expected({}, from, to, 7).length;
  t.ok(kept > 0 && kept < expected({}, from, to, 1).length, `minRatings 7 keeps ${kept} of the groups`);
  t.same((await runMetric(engine, { metric: 'class_ratings', filters: { from: '2030-01-01', to: '2030-01-31' } })).rows, [], 'no ratings: no rows');
  await t.rejects(runMetric(engine, { metric: 'class_ratings', filters: { from, to }, options: { minRatings: 0 } }), { code: 'BAD_OPTION' }, 'minRatings below 1');
});
