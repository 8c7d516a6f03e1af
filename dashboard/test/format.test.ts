import t from 'tap';
import {
  DASH, formatCount, formatDate, formatDateTime, formatLift, formatMetric, formatPercent, formatPoints, formatRange, formatRisk, formatShare,
  memberName, planName, plural, studioName, titleCase,
} from '../src/format.js';

t.test('counts', async (t) => {
  t.equal(formatCount(0), '0');
  t.equal(formatCount(1234), '1,234');
  t.equal(formatCount(1234567), '1,234,567');
  t.equal(formatCount(12.6), '13');
  t.equal(formatCount(Number.NaN), DASH);
  t.equal(formatCount(undefined), DASH);
  t.equal(formatCount(null), DASH);
  t.equal(plural(1, 'member'), '1 member');
  t.equal(plural(2000, 'member'), '2,000 members');
  t.equal(plural(0, 'study', 'studies'), '0 studies');
});

t.test('percentages', async (t) => {
  t.equal(formatPercent(0.1234), '12%');
  t.equal(formatPercent(0.1234, 1), '12.3%');
  t.equal(formatPercent(1), '100%');
  t.equal(formatPercent(0), '0%');
  t.equal(formatPercent(-0.0001), '0%', 'no "-0%"');
  t.equal(formatPercent(-0.0001, 1), '0.0%');
  t.equal(formatPercent(Number.POSITIVE_INFINITY), DASH);
  t.equal(formatPercent(null), DASH);
  t.equal(formatShare(1, 8), '12.5%');
  t.equal(formatShare(3, 0), DASH, 'nothing to share');
  t.equal(formatRange(0.05, 0.1), '5–10%');
  t.equal(formatRange(0.95, 1), '95–100%');
});

t.test('a risk never reads as none or certain', async (t) => {
  t.equal(formatRisk(0.7312), '73%');
  t.equal(formatRisk(0.004), '<1%');
  t.equal(formatRisk(0.005), '1%');
  t.equal(formatRisk(0), '0%');
  t.equal(formatRisk(0.996), '>99%');
  t.equal(formatRisk(0.99), '99%');
  t.equal(formatRisk(1), '100%');
  t.equal(formatRisk(Number.NaN), DASH);
});

t.test('metrics, lifts and points', async (t) => {
  t.equal(formatMetric(0.86123), '0.861');
  t.equal(formatMetric(0.071234, 4), '0.0712');
  t.equal(formatMetric(undefined), DASH);
  t.equal(formatLift(3.21), '3.2×');
  t.equal(formatLift(Number.NaN), DASH);
  t.equal(formatPoints(0.034), '3.4 points');
  t.equal(formatPoints(-0.034), '3.4 points', 'a gap, whichever way');
  t.equal(formatPoints(0.01), '1.0 point');
  t.equal(formatPoints(0.123), '12 points');
  t.equal(formatPoints(Number.NaN), DASH);
});

t.test('dates in English and UTC, whatever the machine', async (t) => {
  t.equal(formatDate('2026-12-07'), '7 Dec 2026');
  t.equal(formatDate('2026-01-31T23:59:59Z'), '31 Jan 2026');
  t.equal(formatDate('2026-13-01'), '2026-13-01', 'no such month: shown as it came');
  t.equal(formatDate('yesterday'), 'yesterday');
  t.equal(formatDate(''), DASH);
  t.equal(formatDate(undefined), DASH);
  t.equal(formatDateTime('2026-12-07T06:03:11.000Z'), '7 Dec 2026, 06:03 UTC');
  t.equal(formatDateTime('2026-12-07T23:30:00-05:00'), '8 Dec 2026, 04:30 UTC', 'another zone, told in UTC');
  t.equal(formatDateTime('2026-12-07'), '7 Dec 2026');
  t.equal(formatDateTime('not a time'), 'not a time');
  t.equal(formatDateTime(null), DASH);
});

t.test('names', async (t) => {
  t.equal(studioName('downtown'), 'Downtown');
  t.equal(studioName('harbor-view'), 'Harbor View');
  t.equal(studioName('north_gate 2'), 'North Gate 2');
  t.equal(studioName('---'), '---', 'nothing to title: the id itself');
  t.equal(planName('off_peak'), 'Off Peak');
  t.equal(planName(null), DASH, 'the export no longer has the member');
  t.equal(titleCase(''), '');
  t.equal(memberName({ memberId: 'M1', firstName: 'Ava', lastName: 'Smith' }), 'Ava Smith');
  t.equal(memberName({ memberId: 'M1', firstName: 'Ava', lastName: null }), 'Ava');
  t.equal(memberName({ memberId: 'M1', firstName: ' ', lastName: '' }), 'M1', 'no name: the id');
});
