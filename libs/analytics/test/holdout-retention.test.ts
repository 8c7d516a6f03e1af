/**
 * The holdout readout: members active at the start of the range, by marketing group, and how many were still active at
 * its end — on a lake written by hand, so every number is known. Duplicate holdout rows (a re-run) count once.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { DuckDbEngine, runMetric, writeDerivedParquet, writeLake, type FixtureRow } from '@peak/analytics';

const ZONE = 'America/New_York';
const member = (id: string, home: string): FixtureRow => ({
  member_id: id, email: `${id}@example.com`, first_name: 'A', last_name: 'B', home_location_id: home, join_date: '2026-01-01', plan: 'unlimited',
  status: 'active', cancelled_on: null, birth_year: null, marketing_opt_in: true, updated_at: '2026-01-01T00:00:00Z',
});
let n = 0;
const visit = (memberId: string, day: string): FixtureRow => ({ checkin_id: `K${++n}`, member_id: memberId, class_id: null, location_id: 'downtown', checked_in_at: `${day}T15:00:00Z`, method: 'card' });

t.test('retention of the holdout group vs the contacted members, as assigned', async (t) => {
  const root = t.testdir();
  // H1–H3 holdout, C1–C4 contacted; N1 never assigned (not synced): left out. Range May 1 – May 31, 30-day windows.
  await writeLake(root, {
    members: ['H1', 'H2', 'H3', 'C1', 'C2', 'C3', 'C4', 'N1'].map((id) => member(id, id === 'C4' ? 'riverside' : 'downtown')),
    attendance: [
      visit('H1', '2026-04-20'), visit('H1', '2026-05-20'), // active at both ends: retained
      visit('H2', '2026-04-25'), // active at the start only: lost
      visit('H3', '2026-05-25'), // not active at the start: not in the cohort
      visit('C1', '2026-04-10'), visit('C1', '2026-05-30'),
      visit('C2', '2026-05-01'), visit('C2', '2026-05-02'), // on `from` itself: at the start; May 2 is inside the end window too
      visit('C3', '2026-04-30'),
      visit('C4', '2026-04-30'), visit('C4', '2026-05-31'),
      visit('N1', '2026-04-30'), visit('N1', '2026-05-31'),
    ],
  });
  const dir = join(root, 'processed', 'marketing_holdout', 'dt=2026-04-01');
  mkdirSync(dir, { recursive: true });
  const assigned = (id: string, holdout: boolean) => ({ member_id: id, home_location_id: 'downtown', bucket: holdout ? 10 : 5000, holdout, assigned_on: '2026-04-01' });
  const rows = [assigned('H1', true), assigned('H2', true), assigned('H3', true), assigned('C1', false), assigned('C2', false), assigned('C3', false), assigned('C4', false)];
  await writeDerivedParquet('marketing_holdout', rows, join(dir, 'run-1.parquet'));
  await writeDerivedParquet('marketing_holdout', rows.slice(0, 2), join(dir, 'run-2.parquet')); // a re-run listing some again
  const engine = new DuckDbEngine({ lakeRoot: root, timeZone: ZONE });
  t.teardown(() => engine.close());

  const all = await runMetric(engine, { metric: 'holdout_retention', filters: { from: '2026-05-01', to: '2026-05-31' } });
  t.same(all.rows, [
    { member_group: 'contacted', members_at_start: 4, retained: 3, retention_rate: 0.75 },
    { member_group: 'holdout', members_at_start: 2, retained: 1, retention_rate: 0.5 },
  ]);
  const riverside = await runMetric(engine, { metric: 'holdout_retention', filters: { from: '2026-05-01', to: '2026-05-31', location: 'riverside' } });
  t.same(riverside.rows, [
    { member_group: 'contacted', members_at_start: 1, retained: 1, retention_rate: 1 },
    { member_group: 'holdout', members_at_start: 0, retained: 0, retention_rate: null },
  ], 'a studio: its members only; an empty group is a row with no rate');
});
