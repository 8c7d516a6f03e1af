import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { Type } from 'typebox';
import { DATASET_NAMES, datasets } from '@peak/contracts';
import { buildPlan, planToJson, renderDuckdb, renderSpark, REASON_CODES, type Expr } from '@peak/etl';

// Golden files are committed; `UPDATE_GOLDEN=1 npx tap services/etl/test/plan.test.ts` rewrites them after a deliberate change.
const GOLDEN = join(import.meta.dirname, 'golden');
const update = process.env.UPDATE_GOLDEN === '1';

function golden(t: Test, file: string, actual: string): void {
  const path = join(GOLDEN, file);
  if (update || !existsSync(path)) writeFileSync(path, actual);
  t.equal(actual, readFileSync(path, 'utf8'), `${file} matches its golden file (UPDATE_GOLDEN=1 to accept a change)`);
}

for (const name of DATASET_NAMES) {
  t.test(`${name}: plan JSON, DuckDB SQL and Spark SQL are stable`, async (t) => {
    const plan = buildPlan(datasets[name]);
    t.same(JSON.parse(planToJson(plan)), plan, 'the plan is plain JSON data');
    golden(t, `${name}.plan.json`, planToJson(plan));
    golden(t, `${name}.duckdb.sql`, renderDuckdb(plan).sql);
    // Spark SQL cannot be executed in this repo (no Spark); its text is pinned so changes are reviewed.
    golden(t, `${name}.spark.sql`, renderSpark(plan).sql);
  });
}

t.test('plans only use closed reason codes and cover every contract column', async (t) => {
  for (const name of DATASET_NAMES) {
    const contract = datasets[name];
    const plan = buildPlan(contract);
    t.same(plan.columns.map((c) => c.name), [...contract.columns], `${name}: columns in contract order`);
    for (const c of plan.checks) t.ok(c.code in REASON_CODES, `${name}.${c.column}: ${c.code} is a known code`);
    t.same(plan.dedupe.key, [...contract.primaryKey]);
    t.same(plan.references.map((r) => r.column), contract.references.map((r) => r.column));
  }
});

t.test('rendering without a known relation drops only that FK check', async (t) => {
  const plan = buildPlan(datasets.signups);
  const all = renderDuckdb(plan);
  t.same(all.referencesChecked, ['known_members', 'known_classes']);
  const some = renderDuckdb(plan, { availableReferences: ['known_members'] });
  t.same(some.referencesChecked, ['known_members']);
  t.notMatch(some.sql, /known_classes/);
  t.match(some.sql, /known_members/);
});

t.test('format checks of a reference column are skipped for known keys only when the key column has the same rules', async (t) => {
  const plan = buildPlan(datasets.signups);
  const formats = plan.checks.filter((c) => c.code === 'BAD_FORMAT' && (c.column === 'member_id' || c.column === 'class_id'));
  t.ok(formats.length >= 4, 'length and pattern checks on both references');
  t.ok(formats.every((c) => c.skipWhenKnown === `known_${c.column === 'member_id' ? 'members' : 'classes'}`), 'both keys are ids with the same rules');
  t.ok(plan.checks.filter((c) => c.column === 'signup_id').every((c) => c.skipWhenKnown === undefined), 'not the booking id: it references nothing');

  // A column looser than the key it references: a known key says nothing about its own rules.
  const loose = { ...datasets.signups, row: { ...datasets.signups.row, properties: { ...datasets.signups.row.properties, member_id: Type.String({ ...datasets.signups.row.properties.member_id, maxLength: 128 }) } } };
  const loosePlan = buildPlan(loose as typeof datasets.signups);
  t.ok(loosePlan.checks.filter((c) => c.column === 'member_id' && c.code === 'BAD_FORMAT').every((c) => c.skipWhenKnown === undefined), 'different maxLength: always checked');
  const sql = renderDuckdb(plan, { availableReferences: ['known_classes'] }).rejected;
  const filter = sql.slice(sql.indexOf('flagged AS'), sql.indexOf('AS "__rejected"'));
  t.match(filter, /regexp_matches\("raw_member_id"/, 'without known members the member id format decides rejection');
  t.notMatch(filter, /regexp_matches\("raw_class_id"/, 'with known classes, the class id format does not (UNKNOWN_REFERENCE does)');
  t.match(sql.slice(sql.indexOf('AS "__rejected"')), /BAD_FORMAT:class_id:pattern/, 'the reason list still names it');
});

t.test('Spark literals escape backslashes; DuckDB literals keep them', async (t) => {
  const plan = buildPlan(datasets.members);
  t.match(renderSpark(plan).sql, "RLIKE '\\\\S'");
  t.match(renderDuckdb(plan).sql, "regexp_matches(\"raw_first_name\", '\\S')");
  const usesKnown = (e: Expr): boolean => e.op === 'known' || ('args' in e && e.args.some(usesKnown)) || ('arg' in e && usesKnown(e.arg));
  t.notOk(plan.checks.some((c) => usesKnown(c.predicate)), 'members references nothing');
});
