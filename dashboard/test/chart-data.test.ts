import t from 'tap';
import { fakeMembers, fakeSummary } from '../dev/fake-churn.js';
import { bandLegend, bandOf, distributionBars, distributionSummary, studioBands, studioBandsSummary } from '../src/chart-data.js';
import { checkLines, readySummary } from '../src/status-text.js';

t.test('bands from scores, with the model thresholds or the defaults', async (t) => {
  t.equal(bandOf(0.5), 'high');
  t.equal(bandOf(0.4999), 'medium');
  t.equal(bandOf(0.2), 'medium');
  t.equal(bandOf(0.19), 'low');
  t.equal(bandOf(0.35, { high: 0.3, medium: 0.1 }), 'high');
  t.same(bandLegend().map((b) => b.text), ['High: 50% or more', 'Medium: 20% to under 50%', 'Low: under 20%']);
});

t.test('studio bars: most high-risk first, and a sentence for screen readers', async (t) => {
  const summary = fakeSummary(fakeMembers(400));
  const rows = studioBands(summary);
  t.equal(rows.length, summary.locations.length);
  for (let i = 1; i < rows.length; i++) t.ok(rows[i - 1]!.high >= rows[i]!.high, 'sorted by high-risk members');
  t.equal(rows.reduce((s, r) => s + r.high + r.medium + r.low, 0), 400);
  t.match(studioBandsSummary(rows), /^Risk bands by studio, members per band: [A-Z][a-z]+ \d+ high, \d+ medium, \d+ low; /);
  t.equal(studioBandsSummary([]), 'Risk bands by studio: no scored members.');
});

t.test('histogram bars: 20 bins in order, coloured by band, and their summary', async (t) => {
  const summary = fakeSummary(fakeMembers(400));
  const bars = distributionBars({ ...summary, distribution: [...summary.distribution].reverse() });
  t.equal(bars.length, 20);
  t.same(bars.slice(0, 2).map((b) => [b.label, b.range]), [['0%', '0–5%'], ['5%', '5–10%']]);
  t.same([bars[3]!.band, bars[4]!.band, bars[9]!.band, bars[10]!.band], ['low', 'medium', 'medium', 'high'], 'the 20% and 50% edges');
  t.equal(bars.reduce((s, b) => s + b.members, 0), 400);
  t.match(distributionSummary(bars), /^Risk score distribution of 400 members, by 5-point bins: 0–5%: \d+; /);
  t.equal(distributionSummary(bars.map((b) => ({ ...b, members: 0 }))), 'Risk score distribution: no scored members.');
});

t.test('the status card: one line per dependency and one summary', async (t) => {
  const lines = checkLines({ status: 'degraded', checks: { redis: 'ok', sqs: 'timeout', s3: 'error' }, details: { s3: 'AccessDenied' } });
  t.same(lines, [
    { name: 'redis', ok: true, detail: 'answers' },
    { name: 'sqs', ok: false, detail: 'timeout' },
    { name: 's3', ok: false, detail: 'error: AccessDenied' },
  ]);
  t.equal(readySummary(lines), '2 of 3 dependencies do not answer.');
  t.equal(readySummary(lines.slice(0, 2)), '1 of 2 dependencies does not answer.');
  t.equal(readySummary(lines.slice(1, 2)), '1 of 1 dependency does not answer.');
  t.equal(readySummary(lines.slice(0, 1)), 'Every dependency answers.');
  t.equal(readySummary([]), 'The service reports no dependencies to check.');
});
