/**
 * Made-up churn API answers, shaped exactly like the leaderboard service's contract, for the dashboard's
 * unit tests and its development mock (dev/mock-api.ts). Never served by the real service: the dashboard
 * itself never shows made-up numbers. Deterministic for a seed.
 */
import type { AtRiskMember, Band, ChurnMembersPage, ChurnModelInfo, ChurnSummary, Evaluation, MembersQuery } from '../src/api.js';

export const FAKE_STUDIOS = ['downtown', 'riverside', 'northgate', 'lakeside', 'westfield', 'harborview', 'hillcrest', 'eastside'];
const FIRST = ['Ava', 'Liam', 'Maya', 'Noah', 'Zoe', 'Omar', 'Lena', 'Ivan', 'Sara', 'José', 'Chloé', 'Yuki'];
const LAST = ['Smith', 'Garcia', 'Nguyen', 'Müller', 'Okafor', 'Rossi', 'Kowalski', 'Haddad', 'Silva', 'Dubois'];
const PLANS = ['unlimited', 'monthly', 'off_peak', 'class_pack', 'intro'];
const FACTORS = [
  'last visit 21 days ago',
  'visits down: 2 in the last 30 days vs 8 the 30 before',
  'no app use in 30 days',
  'a failed membership payment',
  'often cancels late',
  'new member (joined 3 weeks ago)',
];

/** A small seeded generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const bandFor = (score: number): Band => (score >= 0.5 ? 'high' : score >= 0.2 ? 'medium' : 'low');

/** `n` members, riskiest first (ties by member id), one of them with a spreadsheet-formula name. */
export function fakeMembers(n = 1200, seed = 7): AtRiskMember[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const members: AtRiskMember[] = [];
  for (let i = 0; i < n; i++) {
    const score = Math.round(Math.min(0.999, Math.pow(r(), 2.6)) * 10_000) / 10_000; // mostly low, a tail of high
    const k = score >= 0.5 ? 3 : score >= 0.2 ? 2 : 1;
    const factors = Array.from({ length: k }, () => pick(FACTORS)).filter((f, j, all) => all.indexOf(f) === j);
    members.push({
      memberId: `M${String(100000 + i)}`,
      firstName: i === 3 ? '=HYPERLINK("http://example.invalid","click")' : pick(FIRST),
      lastName: i === 3 ? 'Tester, "Jr."' : pick(LAST),
      homeLocationId: FAKE_STUDIOS[Math.min(FAKE_STUDIOS.length - 1, Math.floor(Math.pow(r(), 1.3) * FAKE_STUDIOS.length))] as string,
      plan: pick(PLANS),
      score,
      band: bandFor(score),
      factors,
    });
  }
  return members.sort((a, b) => b.score - a.score || a.memberId.localeCompare(b.memberId));
}

const bandsOf = (ms: readonly AtRiskMember[]) => ({
  high: ms.filter((m) => m.band === 'high').length,
  medium: ms.filter((m) => m.band === 'medium').length,
  low: ms.filter((m) => m.band === 'low').length,
});
const mean = (ms: readonly AtRiskMember[]) => (ms.length ? ms.reduce((s, m) => s + m.score, 0) / ms.length : 0);

export const FAKE_AS_OF = '2026-12-06';

export function fakeSummary(all: readonly AtRiskMember[], location?: string | null): ChurnSummary {
  const ms = location ? all.filter((m) => m.homeLocationId === location) : all;
  const locations = [...new Set(ms.map((m) => m.homeLocationId))].sort().map((locationId) => {
    const here = ms.filter((m) => m.homeLocationId === locationId);
    return { locationId, members: here.length, meanScore: mean(here), ...bandsOf(here) };
  });
  const distribution = Array.from({ length: 20 }, (_, i) => ({
    from: Math.round(i * 5) / 100,
    to: Math.round((i + 1) * 5) / 100,
    members: ms.filter((m) => Math.min(19, Math.floor(m.score * 20)) === i).length,
  }));
  return {
    asOf: FAKE_AS_OF, modelVersion: '2026-12-06.a1b2c3', scoredAt: '2026-12-07T05:00:12.000Z',
    members: ms.length, meanScore: mean(ms), bands: bandsOf(ms), locations, distribution,
  };
}

export function fakePage(all: readonly AtRiskMember[], q: MembersQuery): ChurnMembersPage {
  const ms = all.filter((m) => (!q.location || m.homeLocationId === q.location) && (!q.band || m.band === q.band));
  return { asOf: FAKE_AS_OF, total: ms.length, limit: q.limit, offset: q.offset, members: ms.slice(q.offset, q.offset + q.limit) };
}

/** An evaluation whose deciles predict `p` and observe `p + skew` (members per decile `per`). */
export function fakeEvaluation(opts: { rocAuc: number; baseRate: number; lift: number; skew?: number; per?: number; top?: number }): Evaluation {
  const per = opts.per ?? 200;
  const top = opts.top ?? 0.72;
  const reliability = Array.from({ length: 10 }, (_, i) => {
    const p = Math.round((0.01 + (top - 0.01) * Math.pow(i / 9, 2.2)) * 1000) / 1000;
    const o = Math.max(0, Math.min(1, p + (opts.skew ?? 0)));
    return { bin: i + 1, count: per, meanPredicted: p, observedRate: o, minPredicted: p * 0.8, maxPredicted: Math.min(1, p * 1.2) };
  });
  const n = per * 10;
  return {
    n, positives: Math.round(n * opts.baseRate), baseRate: opts.baseRate, rocAuc: opts.rocAuc, prAuc: opts.rocAuc - 0.35,
    brier: 0.0712, logLoss: 0.24, liftTopDecile: opts.lift, reliability,
  };
}

export function fakeModel(withTruth = true): ChurnModelInfo {
  return {
    version: '2026-12-06.a1b2c3',
    trainedAt: '2026-12-06T22:14:03.000Z',
    horizonDays: 30,
    inactivityDays: 30,
    confirmDays: 30,
    trainingWindow: {
      trainCutoffs: ['2026-03-01', '2026-03-15', '2026-03-29', '2026-04-12', '2026-04-26', '2026-05-10', '2026-05-24', '2026-06-07'],
      validationCutoff: '2026-10-07',
      trainRows: 61_234,
      trainPositives: 5_870,
      calibrationShare: 0.3,
      calibrationRows: 7_400,
    },
    bands: { high: 0.5, medium: 0.2 },
    kind: 'boosted_trees',
    candidates: [
      { kind: 'logistic', chosen: false, calibrationRocAuc: 0.842, validationRocAuc: { lake: 0.848, ...(withTruth ? { truth: 0.85 } : {}) } },
      { kind: 'boosted_trees', chosen: true, calibrationRocAuc: 0.865, validationRocAuc: { lake: 0.861, ...(withTruth ? { truth: 0.874 } : {}) } },
    ],
    evaluation: {
      lake: { model: fakeEvaluation({ rocAuc: 0.861, baseRate: 0.118, lift: 4.3, skew: 0.01 }), baseline: fakeEvaluation({ rocAuc: 0.78, baseRate: 0.118, lift: 3.1, skew: 0.04 }) },
      ...(withTruth
        ? { truth: { model: fakeEvaluation({ rocAuc: 0.874, baseRate: 0.104, lift: 4.6 }), baseline: fakeEvaluation({ rocAuc: 0.79, baseRate: 0.104, lift: 3.3, skew: 0.03 }) } }
        : {}),
    },
    registry: [
      { version: '2026-11-29.9f8e7d', trainedAt: '2026-11-29T22:10:00.000Z', validationCutoff: '2026-09-30', rocAuc: 0.852, brier: 0.0731, promoted: true, reason: 'first model', decidedAt: '2026-11-29T22:10:05.000Z' },
      { version: '2026-12-06.a1b2c3', trainedAt: '2026-12-06T22:14:03.000Z', validationCutoff: '2026-10-07', rocAuc: 0.861, brier: 0.0712, promoted: true, reason: 'ROC AUC 0.861 ≥ champion 0.852 and Brier 0.0712 ≤ 0.0731', decidedAt: '2026-12-06T22:14:09.000Z', championRocAuc: 0.852, championBrier: 0.0731 },
    ],
  };
}
