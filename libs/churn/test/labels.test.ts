import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { churnedWithin, LabelWindowError, planCutoffs, readTruth, truthChurnedBy } from '../src/index.js';

const member = (join_date: string, last_visit: string | null) => ({ join_date, last_visit });

t.test('churnedWithin: the stated definition, 30-day horizon, 30 days of inactivity', async (t) => {
  const c = '2026-03-31';
  t.equal(churnedWithin(member('2025-01-01', '2026-03-20'), '2026-04-10', null, c, 30, 30), 'cancelled', 'cancelled inside the window');
  t.equal(churnedWithin(member('2025-01-01', '2026-03-20'), '2026-03-31', '2026-04-02', c, 30, 30), null, 'cancelled on the cut-off itself is before the window (not in the population)');
  t.equal(churnedWithin(member('2025-01-01', '2026-03-20'), '2026-05-01', '2026-04-05', c, 30, 30), null, 'cancelled after the window and still coming');
  t.equal(churnedWithin(member('2025-01-01', '2026-03-20'), null, null, c, 30, 30), 'inactivity', 'no visit after the cut-off');
  t.equal(churnedWithin(member('2025-01-01', '2026-03-20'), null, '2026-04-25', c, 30, 30), null, 'came back inside the window');
  t.equal(churnedWithin(member('2026-03-25', null), null, null, c, 30, 30), 'inactivity', 'joined, never came: churns 30 days after joining, inside the window');
  t.equal(churnedWithin(member('2026-03-25', '2025-06-01'), null, null, c, 30, 30), 'inactivity', 'a visit before joining does not count');
  // A shorter horizon than the inactivity rule: the last visit must be old enough for the churn date to land in the window.
  t.equal(churnedWithin(member('2025-01-01', '2026-03-20'), null, null, c, 7, 30), null, 'churn date 04-19 is after a 7-day window');
  t.equal(churnedWithin(member('2025-01-01', '2026-03-05'), null, null, c, 7, 30), 'inactivity', 'churn date 04-04 is inside a 7-day window');
});

t.test('truthChurnedBy: the generator\'s truth dated as the stated definition dates churn', async (t) => {
  const c = '2026-03-31';
  t.equal(truthChurnedBy(undefined, c, 30, 30), false, 'a member the truth does not know');
  t.equal(truthChurnedBy({ churned: false, churnedOn: null, reason: null }, c, 30, 30), false, 'stayed');
  t.equal(truthChurnedBy({ churned: true, churnedOn: '2026-04-20', reason: 'cancelled' }, c, 30, 30), true, 'cancelled in the window');
  t.equal(truthChurnedBy({ churned: true, churnedOn: '2026-05-20', reason: 'cancelled' }, c, 30, 30), false, 'cancelled after it');
  t.equal(truthChurnedBy({ churned: true, churnedOn: '2026-03-25', reason: 'inactivity' }, c, 30, 30), true, 'last visit 03-25 → churned 04-24, in the window');
  t.equal(truthChurnedBy({ churned: true, churnedOn: '2026-04-10', reason: 'inactivity' }, c, 30, 30), false, 'last visit 04-10 → churned 05-10, after it');
});

t.test('planCutoffs: later sets never share a label window with earlier ones', async (t) => {
  const plan = planCutoffs('2025-07-01', '2026-06-30', { horizonDays: 30, confirmDays: 30, stepDays: 14, historyDays: 90 });
  t.equal(plan.validationCutoff, '2026-05-01', 'validation: its window and confirmation end on the last day of data');
  t.equal(plan.trainCutoffs.at(-1), '2026-03-02', 'the last training cut-off is one label span before validation');
  t.ok(plan.trainCutoffs[0] as string >= '2025-09-28', 'the first has 90 days of history');
  t.same([...plan.trainCutoffs].sort(), plan.trainCutoffs, 'in time order');
  t.throws(() => planCutoffs('2026-04-01', '2026-06-30', { horizonDays: 30, confirmDays: 30, stepDays: 14, historyDays: 90 }), LabelWindowError, 'three months are too few');
  t.throws(() => planCutoffs('2026-04-01', '2026-06-30', { horizonDays: 30, confirmDays: 30, stepDays: 14, historyDays: 90 }), /training needs at least 224 days/);
});

t.test('readTruth reads the generator\'s truth file and refuses another CSV', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'truth.csv');
  writeFileSync(file, 'member_id,churned,churned_on,reason,last_visit_on,visits,has_routine\nM1,true,2026-04-01,inactivity,2026-04-01,3,false\nM2,false,,,2026-06-01,40,true\n');
  const truth = await readTruth(file);
  t.same(truth.get('M1'), { churned: true, churnedOn: '2026-04-01', reason: 'inactivity' });
  t.same(truth.get('M2'), { churned: false, churnedOn: null, reason: null });
  writeFileSync(file, 'member_id,plan\nM1,unlimited\n');
  await t.rejects(readTruth(file), /not a churn truth file: its header has no churned column/);
});
