import t from 'tap';
import type { MetricAnswer, MetricRow } from '../src/api.js';
import { metricCsv, metricCsvFileName } from '../src/csv.js';
import { completeMonths, kpiChange, kpiFrom, monthEnd, monthName, type Kpi } from '../src/overview/kpis.js';
import { cohortGrid, cohortSummary, fillGrid, fillSummary, movementSeries, movementSummary } from '../src/overview/panel-data.js';

const answer = (metric: string, rows: MetricRow[], from = '2026-06-01', to = '2026-06-30'): MetricAnswer => ({
  metric, title: metric, asOf: to, refreshedAt: '2026-07-01T02:00:00.000Z', range: { preset: 'last_30_days', from, to }, filters: {},
  columns: Object.keys(rows[0] ?? {}).map((name) => ({ name, type: 'X' })), rows,
});

t.test('months: names, last days, the complete ones', async (t) => {
  t.equal(monthName('2026-11-01'), 'Nov 2026');
  t.equal(monthEnd('2024-02-01'), '2024-02-29', 'a leap February');
  t.equal(monthEnd('2026-02-01'), '2026-02-28');
  t.equal(monthEnd('2026-12-01'), '2026-12-31');
  const rows = [{ month: '2026-05-01' }, { month: '2026-06-01' }];
  t.same(completeMonths(rows, '2026-06-29'), { rows: [rows[0]], complete: true }, 'June is not over on the 29th');
  t.same(completeMonths(rows, '2026-06-30'), { rows, complete: true });
  t.same(completeMonths([{ month: '2026-06-01' }], '2026-06-07'), { rows: [{ month: '2026-06-01' }], complete: false }, 'no complete month: the month so far');
});

t.test('each KPI card reads its metric the documented way', async (t) => {
  t.same(kpiFrom('active', answer('active_members', [{ as_of: '2026-06-30', active_members: 651 }]), null).current, { value: 651, note: 'checked in within 30 days to 30 Jun 2026' });
  t.equal(kpiFrom('visits', answer('visits_per_member_per_week', [{ visits: 10, members: 4, weeks: 2, visits_per_member_per_week: 1.25 }]), null).current.value, 1.25);
  const churn = answer('churn_monthly', [
    { month: '2026-04-01', members_start: 100, churned: 5 },
    { month: '2026-05-01', members_start: 300, churned: 15 },
    { month: '2026-06-01', members_start: 50, churned: 1 },
  ], '2026-04-10', '2026-06-20');
  t.same(kpiFrom('churn', churn, null).current, { value: 20 / 400, note: 'monthly, average of Apr 2026–May 2026' }, 'churned ÷ start over the complete months, the month in progress left out');
  const soFar = answer('churn_monthly', [{ month: '2026-06-01', members_start: 50, churned: 2 }], '2026-06-14', '2026-06-20');
  t.same(kpiFrom('churn', soFar, null).current, { value: 0.04, note: 'monthly, Jun 2026 so far' });
  t.equal(kpiFrom('churn', answer('churn_monthly', [{ month: '2026-05-01', members_start: 0, churned: 0 }]), null).current.value, null, 'no members at the start: no rate');
  const atRisk = answer('at_risk_members', [{ member_id: 'M1' }, { member_id: 'M2' }, { member_id: 'M3' }]);
  t.equal(kpiFrom('atRisk', atRisk, null).current.value, 3, 'the rows listed');
  t.equal(kpiFrom('atRisk', answer('at_risk_members', []), null).current.value, 0, 'none listed is 0, not a dash');
  const fill = answer('fill_by_class_type', [{ class_type: 'spin', capacity: 100, attendees: 60 }, { class_type: 'yoga', capacity: 300, attendees: 100 }]);
  t.equal(kpiFrom('fill', fill, null).current.value, 160 / 400, 'attendees ÷ capacity over every row, not a mean of the rates');
  t.equal(kpiFrom('fill', answer('fill_by_class_type', []), null).current.value, null, 'no classes: no rate');
  const mrr = answer('revenue_monthly', [{ month: '2026-06-01', mrr: 900 }, { month: '2026-04-01', mrr: 1000 }, { month: '2026-05-01', mrr: 1100 }], '2026-04-05', '2026-06-29');
  t.same(kpiFrom('mrr', mrr, null).current, { value: 1100, note: 'membership dues, May 2026' }, 'the last complete month, whatever the rows\' order');
  t.same(kpiFrom('mrr', answer('revenue_monthly', [{ month: '2026-06-01', mrr: 900 }], '2026-06-24', '2026-06-29'), null).current, { value: 900, note: 'membership dues, Jun 2026 so far' });
  const withPrevious = kpiFrom('active', answer('active_members', [{ active_members: 10 }]), answer('active_members', [{ active_members: 8 }]));
  t.equal(withPrevious.previous?.value, 8, 'the previous period read the same way');
});

t.test('the change vs the previous period', async (t) => {
  const card = (format: Kpi['format'], better: Kpi['better'], now: number | null, before: number | null): Kpi => ({
    id: 'active', label: 'x', format, better, current: { value: now, note: '' }, previous: before === undefined ? null : { value: before, note: '' },
  });
  t.same(kpiChange(card('count', 'up', 651, 639)), { direction: 'up', good: true, text: '▲ 1.9%' });
  t.same(kpiChange(card('count', 'down', 20, 17)), { direction: 'up', good: false, text: '▲ 17.6%' }, 'more at-risk members is bad news');
  t.same(kpiChange(card('rate', 'down', 0.051, 0.055)), { direction: 'down', good: true, text: '▼ 0.4 pts' }, 'rates change in points');
  t.same(kpiChange(card('decimal', 'up', 1.3, 1.28)), { direction: 'up', good: true, text: '▲ 0.02' });
  t.same(kpiChange(card('money', 'up', 100, 100)), { direction: 'flat', good: null, text: 'no change' });
  t.same(kpiChange(card('rate', 'up', 0.5, 0.50004)), { direction: 'flat', good: null, text: 'no change' }, 'below the shown precision is no change');
  t.equal(kpiChange(card('count', 'up', 5, 0)), null, 'from nothing there is no percentage');
  t.same(kpiChange(card('count', 'up', 0, 0)), { direction: 'flat', good: null, text: 'no change' });
  t.equal(kpiChange(card('count', 'up', null, 3)), null);
  t.equal(kpiChange(card('count', 'up', 3, null)), null);
  t.equal(kpiChange({ ...card('count', 'up', 3, 1), previous: null }), null, 'no previous answer');
});

t.test('retention cohorts as a grid', async (t) => {
  const rows = [
    { cohort_month: '2026-05-01', months_since_join: 0, cohort_size: 10, retained: 9, retention_rate: 0.9 },
    { cohort_month: '2026-05-01', months_since_join: 1, cohort_size: 10, retained: 6, retention_rate: 0.6 },
    { cohort_month: '2026-06-01', months_since_join: 0, cohort_size: 4, retained: 4, retention_rate: 1 },
    { cohort_month: '2026-04-01', months_since_join: 0, cohort_size: 0, retained: 0, retention_rate: null },
  ];
  const grid = cohortGrid(rows);
  t.same(grid.cohorts, ['Apr 2026', 'May 2026', 'Jun 2026'], 'oldest first');
  t.same(grid.sizes, [0, 10, 4]);
  t.equal(grid.months, 2);
  t.same(grid.cells.map((c) => [c.cohort, c.monthsSince, c.rate]), [[1, 0, 0.9], [1, 1, 0.6], [2, 0, 1]], 'an empty cohort has no cells');
  t.equal(cohortSummary(cohortGrid([])), 'No members joined in this period.');
  t.match(cohortSummary(cohortGrid(rows.slice(0, 3))), 'of the 10 members who joined in May 2026, 60% came 1 month later');
});

t.test('member movement per month', async (t) => {
  const m = movementSeries([
    { month: '2026-06-01', joined: 5, churned: 2, net_change: 3, members_end: 103 },
    { month: '2026-05-01', joined: 4, churned: 6, net_change: -2, members_end: 100 },
  ]);
  t.same(m, { months: ['May 2026', 'Jun 2026'], joined: [4, 5], churned: [-6, -2], net: [-2, 3], members: [100, 103] }, 'in month order, leavers below zero');
  t.equal(movementSummary(m), 'May 2026 to Jun 2026: 9 joined, 8 churned, net +1; 103 members at the end.');
  t.equal(movementSummary(movementSeries([])), 'No months in this period.');
});

t.test('fill by weekday × hour sums the studios', async (t) => {
  const grid = fillGrid([
    { location_id: 'a', local_weekday: 1, local_hour: 7, classes: 2, capacity: 40, attendees: 30 },
    { location_id: 'b', local_weekday: 1, local_hour: 7, classes: 1, capacity: 20, attendees: 0 },
    { location_id: 'a', local_weekday: 6, local_hour: 10, classes: 1, capacity: 10, attendees: 10 },
  ]);
  t.same(grid.hours, [7, 8, 9, 10], 'every hour from the first class to the last');
  t.same(grid.cells.find((c) => c.weekday === 1), { weekday: 1, hour: 7, classes: 3, capacity: 60, attendees: 30, rate: 0.5 });
  t.equal(fillSummary(grid), 'Fullest: Sat 10:00 (100% of spots taken); emptiest: Mon 07:00 (50%).');
  t.same(fillGrid([]), { hours: [], cells: [] });
  t.equal(fillSummary(fillGrid([])), 'No classes in this period.');
});

t.test('a metric answer as CSV, with a file name that says what it holds', async (t) => {
  const a = answer('at_risk_members', [
    { member_id: 'M1', first_name: '=HYPERLINK("x")', days: 14, flag: true, list: [1, 2], none: null },
  ]);
  t.equal(metricCsv(a), 'member_id,first_name,days,flag,list,none\r\nM1,"\'=HYPERLINK(""x"")",14,true,"[1,2]",\r\n', 'the API\'s columns; a formula made inert');
  t.equal(metricCsvFileName(a), 'at_risk_members_all-studios_2026-06-01_2026-06-30.csv');
  t.equal(metricCsvFileName({ ...a, filters: { location: 'down/town', classType: 'spin' } }), 'at_risk_members_down-town_spin_2026-06-01_2026-06-30.csv');
});
