import t from 'tap';
import { contactUpdate, lifecycleStage, type MemberFeatures } from '../src/sync/attributes.js';
import { CONTACT_PROPERTIES, MEMBER_ID_PROPERTY } from '../src/sync/contact-properties.js';
import { fingerprint, planSync } from '../src/sync/diff.js';

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
  const u = contactUpdate(member({ at_risk: true, days_since_last_visit: 16, last_visit: '2026-06-14' }), { score: 0.123456, band: 'medium' }, false);
  t.equal(u.treatment, 'sync');
  t.same(u.properties, {
    email: 'anna@example.com', [MEMBER_ID_PROPERTY]: 'M000001', peak_churn_risk_score: '0.1235', peak_churn_risk_band: 'medium',
    peak_last_visit_date: '2026-06-14', peak_visits_30d: '9', peak_visits_90d: '25', peak_visit_trend: '-2', peak_member_since: '2024-03-01',
    peak_home_location: 'downtown', peak_plan: 'unlimited', peak_favourite_class_type: 'spin', peak_lifecycle_stage: 'at_risk', peak_at_risk: 'true',
  });
  const owned = new Set(CONTACT_PROPERTIES.map((p) => p.name));
  t.same(Object.keys(u.properties).filter((k) => k !== 'email' && !owned.has(k)), [], 'only properties crm-sync defines (and email)');
  const blank = contactUpdate(member({ last_visit: null, days_since_last_visit: null, favourite_class_type: null, email: null }), undefined, false);
  t.equal(blank.properties.peak_last_visit_date, '', 'no visit: cleared, not "null"');
  t.equal(blank.properties.peak_churn_risk_score, '', 'not scored: cleared');
  t.notOk('email' in blank.properties, 'no email: none sent (the contact stays keyed on the member id)');
  t.equal(contactUpdate(member({ status: 'frozen', at_risk: true }), undefined, true).properties.peak_at_risk, 'false', 'a frozen member is not at risk');
});

t.test('cancelled or no consent: one last update if synced before, never pushed otherwise', async (t) => {
  const gone = contactUpdate(member({ status: 'cancelled' }), { score: 0.9, band: 'high' }, true);
  t.equal(gone.treatment, 'final');
  t.same(gone.properties, { [MEMBER_ID_PROPERTY]: 'M000001', peak_lifecycle_stage: 'cancelled', peak_at_risk: 'false', peak_churn_risk_score: '', peak_churn_risk_band: '' });
  t.equal(contactUpdate(member({ status: 'cancelled' }), undefined, false).treatment, 'skip');
  const noConsent = contactUpdate(member({ marketing_opt_in: false, at_risk: true }), undefined, true);
  t.equal(noConsent.treatment, 'final');
  t.notOk('email' in noConsent.properties, 'nothing personal is sent after consent is withdrawn');
  t.match(contactUpdate(member({ marketing_opt_in: false }), undefined, false), { treatment: 'skip', reason: /withdrew consent, never synced/ });
});

t.test('the diff sends only members whose properties changed', async (t) => {
  t.equal(fingerprint({ a: '1', b: '2' }), fingerprint({ b: '2', a: '1' }), 'order does not matter');
  t.not(fingerprint({ a: '1' }), fingerprint({ a: '2' }));
  const anna = member();
  const ben = member({ member_id: 'M000002', email: 'ben@example.com' });
  const first = planSync([ben, anna], new Map(), new Map());
  t.same(first.changed.map((c) => c.memberId), ['M000001', 'M000002'], 'everyone the first time, in id order');
  const state = new Map(first.changed.map((c) => [c.memberId, c.fingerprint]));
  const again = planSync([anna, ben], new Map(), state);
  t.same([again.changed.length, again.unchanged], [0, 2], 'the same data the next day: nothing to send');
  const moved = planSync([anna, { ...ben, visits_30d: 10 }], new Map(), state);
  t.same(moved.changed.map((c) => c.memberId), ['M000002'], 'one value changed: one member sent');
  const scored = planSync([anna, ben], new Map([['M000001', { score: 0.5, band: 'high' }]]), state);
  t.same(scored.changed.map((c) => c.memberId), ['M000001'], 'a new score is a change');
  const noise = planSync([anna], new Map([['M000001', { score: 0.50001, band: 'high' }]]), new Map([['M000001', scored.changed[0]?.fingerprint ?? '']]));
  t.equal(noise.unchanged, 1, 'score noise below four decimals is not a change');

  const left = planSync([{ ...anna, status: 'cancelled' }], new Map(), state);
  t.equal(left.changed[0]?.treatment, 'final', 'a cancellation is sent once…');
  const after = planSync([{ ...anna, status: 'cancelled', visits_30d: 0 }], new Map(), new Map([['M000001', left.changed[0]?.fingerprint ?? '']]));
  t.same([after.changed.length, after.unchanged], [0, 1], '…and never again, whatever else changes');
  const dup = planSync([anna, { ...anna, visits_30d: 1 }], new Map(), new Map());
  t.same(dup.duplicates, ['M000001'], 'a member twice in the data is reported, and sent once');
  t.equal(dup.changed.length, 1);
  t.same(planSync([{ ...anna, status: 'cancelled' }], new Map(), new Map()).skipped.map((s) => s.memberId), ['M000001']);
});
