import t from 'tap';
import { contactUpdate, lifecycleStage, type MemberFeatures } from '../src/sync/attributes.js';
import { CONTACT_PROPERTIES, MEMBER_ID_PROPERTY } from '../src/sync/contact-properties.js';
import { HOLDOUT_BUCKETS, holdoutBucket, inHoldout } from '@peak/contracts';
import { emptyState, planSync, planSyncYielding, type SyncState } from '../src/sync/diff.js';
import { steadyScore, stickyBand } from '../src/sync/stability.js';

const member = (p: Partial<MemberFeatures> = {}): MemberFeatures => ({
  member_id: 'M000001', email: 'anna@example.com', home_location_id: 'downtown', plan: 'unlimited', status: 'active', join_date: '2024-03-01',
  tenure_days: 500, marketing_opt_in: true, last_visit: '2026-06-28', days_since_last_visit: 2, visits_30d: 9, visits_90d: 25, visit_trend: -2,
  favourite_class_type: 'spin', at_risk: false, ...p,
});

t.test('lifecycle stage: cancelled, frozen, new, at risk, lapsed, active — in that order', async (t) => {
  t.equal(lifecycleStage(member()), 'active');
  t.equal(lifecycleStage(member({ status: 'cancelled', tenure_days: 3, at_risk: true })), 'cancelled', 'status first');
  t.equal(lifecycleStage(member({ status: 'frozen', at_risk: true })), 'frozen');
  t.equal(lifecycleStage(member({ tenure_days: 29, days_since_last_visit: null })), 'new', 'a new member is new before lapsed');
  t.equal(lifecycleStage(member({ tenure_days: 30, days_since_last_visit: null })), 'lapsed', 'day 30: no longer new');
  t.equal(lifecycleStage(member({ at_risk: true, days_since_last_visit: 20 })), 'at_risk');
  t.equal(lifecycleStage(member({ days_since_last_visit: 30 })), 'lapsed');
  t.equal(lifecycleStage(member({ days_since_last_visit: 29 })), 'active');
});

t.test('a member synced: every property, in the text HubSpot takes', async (t) => {
  const u = contactUpdate(member({ at_risk: true, days_since_last_visit: 16, last_visit: '2026-06-14' }), { score: 0.123456, band: 'medium' }, undefined);
  t.equal(u.treatment, 'sync');
  t.same(u.properties, {
    email: 'anna@example.com', [MEMBER_ID_PROPERTY]: 'M000001', peak_churn_risk_score: '0.12', peak_churn_risk_band: 'medium',
    peak_last_visit_date: '2026-06-14', peak_visits_30d: '9', peak_visits_90d: '25', peak_visit_trend: '-2', peak_member_since: '2024-03-01',
    peak_home_location: 'downtown', peak_plan: 'unlimited', peak_favourite_class_type: 'spin', peak_lifecycle_stage: 'at_risk', peak_at_risk: 'true',
    peak_marketing_holdout: inHoldout('M000001') ? 'true' : 'false',
  });
  const owned = new Set(CONTACT_PROPERTIES.map((p) => p.name));
  t.same(Object.keys(u.properties).filter((k) => k !== 'email' && !owned.has(k)), [], 'only properties crm-sync defines (and email)');
  const blank = contactUpdate(member({ last_visit: null, days_since_last_visit: null, favourite_class_type: null, email: null }), undefined, undefined);
  t.equal(blank.properties.peak_last_visit_date, '', 'no visit: cleared, not "null"');
  t.equal(blank.properties.peak_churn_risk_score, '', 'not scored: cleared');
  t.notOk('email' in blank.properties, 'no email: none sent (the contact stays keyed on the member id)');
  t.equal(contactUpdate(member({ status: 'frozen', at_risk: true }), undefined, {}).properties.peak_at_risk, 'false', 'a frozen member is not at risk');
});

t.test('cancelled or no consent: one last update if synced before, never pushed otherwise', async (t) => {
  const gone = contactUpdate(member({ status: 'cancelled' }), { score: 0.9, band: 'high' }, {});
  t.equal(gone.treatment, 'final');
  t.same(gone.properties, { [MEMBER_ID_PROPERTY]: 'M000001', peak_lifecycle_stage: 'cancelled', peak_at_risk: 'false', peak_churn_risk_score: '', peak_churn_risk_band: '' });
  t.equal(contactUpdate(member({ status: 'cancelled' }), undefined, undefined).treatment, 'skip');
  const noConsent = contactUpdate(member({ marketing_opt_in: false, at_risk: true }), undefined, {});
  t.equal(noConsent.treatment, 'final');
  t.notOk('email' in noConsent.properties, 'nothing personal is sent after consent is withdrawn');
  t.match(contactUpdate(member({ marketing_opt_in: false }), undefined, undefined), { treatment: 'skip', reason: /withdrew consent, never synced/ });
});

/** The state after HubSpot accepted everything a plan sends. */
const accepted = (plan: ReturnType<typeof planSync>, before: SyncState = emptyState()): SyncState => {
  const members = new Map(before.members);
  for (const c of plan.changed) members.set(c.memberId, { ...members.get(c.memberId), ...c.properties });
  return { members, failures: new Map() };
};

t.test('the diff sends only members whose properties changed, and says which', async (t) => {
  const anna = member();
  const ben = member({ member_id: 'M000002', email: 'ben@example.com' });
  const first = planSync([ben, anna], new Map(), emptyState());
  t.same(first.changed.map((c) => c.memberId), ['M000001', 'M000002'], 'everyone the first time, in id order');
  t.same(first.changed[0]?.changes.peak_visits_30d, [null, '9'], 'never synced: every property, old value null');
  const state = accepted(first);
  const again = planSync([anna, ben], new Map(), state);
  t.same([again.changed.length, again.unchanged], [0, 2], 'the same data the next day: nothing to send');
  const moved = planSync([anna, { ...ben, visits_30d: 10 }], new Map(), state);
  t.same(moved.changed.map((c) => c.memberId), ['M000002'], 'one value changed: one member sent');
  t.same(moved.changed[0]?.changes, { peak_visits_30d: ['9', '10'] }, 'the changelog names the property, old and new');
  t.same(Object.keys(moved.changed[0]?.properties ?? {}).length, Object.keys(first.changed[1]?.properties ?? {}).length, 'sent with every property (a contact edited by hand heals)');
  const scored = planSync([anna, ben], new Map([['M000001', { score: 0.5, band: 'high' }]]), state);
  t.same(scored.changed.map((c) => c.memberId), ['M000001'], 'a new score is a change');
  const noise = planSync([anna], new Map([['M000001', { score: 0.5149, band: 'high' }]]), accepted(scored, state));
  t.equal(noise.unchanged, 1, 'a score that moved less than 0.02 is not sent again');

  const left = planSync([{ ...anna, status: 'cancelled' }], new Map(), state);
  t.equal(left.changed[0]?.treatment, 'final', 'a cancellation is sent once…');
  const after = planSync([{ ...anna, status: 'cancelled', visits_30d: 0 }], new Map(), accepted(left, state));
  t.same([after.changed.length, after.unchanged], [0, 1], '…and never again, whatever else changes');
  const scoredState = accepted(scored, state);
  const optedOut = planSync([{ ...anna, marketing_opt_in: false }], new Map([['M000001', { score: 0.5, band: 'high' }]]), scoredState);
  t.match(optedOut.changed[0], { treatment: 'final', properties: { peak_lifecycle_stage: 'active', peak_churn_risk_band: '' } }, 'consent withdrawn: one last update clearing the risk, the stage as HubSpot had it…');
  const lapsed = planSync([{ ...anna, marketing_opt_in: false, days_since_last_visit: 45, visits_30d: 0, status: 'frozen' }], new Map(), accepted(optedOut, scoredState));
  t.same([lapsed.changed.length, lapsed.unchanged], [0, 1], '…and nothing more when they later lapse or freeze');
  const dup = planSync([anna, { ...anna, visits_30d: 1 }], new Map(), emptyState());
  t.same(dup.duplicates, [{ memberId: 'M000001', homeLocation: 'downtown' }], 'a member twice in the data is reported, and sent once');
  t.equal(dup.changed.length, 1);
  t.same(planSync([{ ...anna, status: 'cancelled' }], new Map(), emptyState()).skipped.map((s) => s.memberId), ['M000001']);
});

t.test('failed members are retried with their reason; a full resync sends everyone', async (t) => {
  const anna = member();
  const state = accepted(planSync([anna], new Map(), emptyState()));
  const failure = { category: 'VALIDATION_ERROR', message: 'Email address a***@example is invalid', firstFailedAt: '2026-06-30T06:00:00Z', lastFailedAt: '2026-06-30T06:00:00Z', attempts: 1 };
  const retry = planSync([anna], new Map(), { ...state, failures: new Map([['M000001', failure]]) });
  t.match(retry.changed, [{ memberId: 'M000001', reason: 'active; retry after VALIDATION_ERROR', retryOf: failure }], 'unchanged values, but it failed last time: sent again');
  const full = planSync([anna], new Map(), state, { fullResync: true });
  t.match(full.changed, [{ memberId: 'M000001', reason: 'active; full resync', changes: {} }]);
  t.equal(planSync([{ ...anna, status: 'cancelled' }], new Map(), emptyState(), { fullResync: true }).skipped.length, 1, 'a full resync still never pushes someone who left before being synced');
});

t.test('band hysteresis: the band moves only when the score is clearly past the threshold', async (t) => {
  const bands = { high: 0.5, medium: 0.2 };
  t.equal(stickyBand(0.51, bands, undefined), 'high', 'first time: the model\'s band');
  t.equal(stickyBand(0.51, bands, 'medium'), 'medium', 'just over the threshold: stays');
  t.equal(stickyBand(0.53, bands, 'medium'), 'high', 'past threshold + margin: moves up');
  t.equal(stickyBand(0.48, bands, 'high'), 'high', 'just under: stays');
  t.equal(stickyBand(0.46, bands, 'high'), 'medium', 'below threshold − margin: moves down');
  t.equal(stickyBand(0.6, bands, 'low'), 'high', 'a jump over two bands');
  t.equal(stickyBand(0.05, bands, 'high'), 'low');
  t.equal(stickyBand(0.21, bands, 'low'), 'low');
  t.equal(stickyBand(0.3, bands, ''), 'medium', 'a cleared band starts afresh');
  t.equal(steadyScore('0.51', '0.50', false), '0.50', 'a small move keeps the score sent');
  t.equal(steadyScore('0.52', '0.50', false), '0.52');
  t.equal(steadyScore('0.51', '0.50', true), '0.51', 'the band moved: the score goes with it');
  // Day by day around the threshold: the model flips 4 times, HubSpot sees 1 change.
  let state = emptyState();
  const sent: string[] = [];
  for (const score of [0.45, 0.51, 0.49, 0.515, 0.495, 0.56, 0.52, 0.49]) {
    const plan = planSync([member()], new Map([['M000001', { score, band: score >= 0.5 ? 'high' : 'medium' }]]), state, { thresholds: bands });
    const band = plan.changed[0]?.changes.peak_churn_risk_band;
    if (band) sent.push(band[1]);
    state = accepted(plan, state);
  }
  t.same(sent, ['medium', 'high'], 'medium the first day, high once 0.56 clears the margin, and it holds at 0.49');
});

t.test('the holdout group is stable, even across studios, and ~10% of every studio', async (t) => {
  t.equal(holdoutBucket('M000001'), holdoutBucket('M000001'), 'a pure function of the id');
  const ids = Array.from({ length: 20_000 }, (_, i) => `M${String(i).padStart(6, '0')}`);
  const share = ids.filter((id) => inHoldout(id)).length / ids.length;
  t.ok(share > 0.09 && share < 0.11, `share ${share}`);
  t.ok(ids.every((id) => holdoutBucket(id) < HOLDOUT_BUCKETS));
  t.ok(ids.filter((id) => inHoldout(id)).every((id) => inHoldout(id, 0.2)), 'a larger share only adds members');
  const a = contactUpdate(member(), undefined, undefined).properties.peak_marketing_holdout;
  t.equal(contactUpdate(member({ home_location_id: 'riverside' }), undefined, undefined).properties.peak_marketing_holdout, a, 'moving studio does not move group');
});

t.test('the plan made in slices (handing the event loop back) is the same plan', async (t) => {
  const members = Array.from({ length: 7 }, (_, i) => member({ member_id: `M${7 - i}`, visits_30d: i, status: i === 3 ? 'cancelled' : 'active' }));
  members.push(member({ member_id: 'M2' }));
  t.same(await planSyncYielding(members, new Map(), emptyState(), {}, 3), planSync(members, new Map(), emptyState()));
});
