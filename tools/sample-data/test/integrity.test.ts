import t from 'tap';
import { byKey, generateInto, readRows } from './helpers.js';

type Row = Record<string, unknown>;
const MIN = 60_000;

t.test('clean exports are referentially sound', async (t) => {
  const out = t.testdir();
  await generateInto(out, { seed: 5, members: 300, days: 90 });
  const members = readRows(out, 'exports/members.csv', 'members');
  const classes = readRows(out, 'exports/classes.csv', 'classes');
  const signups = readRows(out, 'exports/signups.csv', 'signups');
  const attendance = readRows(out, 'exports/attendance.csv', 'attendance');
  const transactions = readRows(out, 'exports/transactions.csv', 'transactions');
  const engagement = readRows(out, 'exports/engagement.ndjson', 'engagement');
  const feedback = readRows(out, 'exports/class_feedback.csv', 'class_feedback');
  const labels = readRows(out, 'truth/churn_labels.csv', 'churn_labels');
  const memberById = byKey(members, 'member_id');
  const classById = byKey(classes, 'class_id');

  for (const [name, rows, key] of [
    ['members', members, 'member_id'], ['classes', classes, 'class_id'], ['signups', signups, 'signup_id'],
    ['attendance', attendance, 'checkin_id'], ['transactions', transactions, 'transaction_id'], ['engagement', engagement, 'event_id'],
    ['class_feedback', feedback, 'feedback_id'],
  ] as const) {
    t.equal(new Set(rows.map((r) => r[key])).size, rows.length, `${name}: primary keys are unique`);
  }
  const unknown = (rows: Row[], column: string, ids: Map<unknown, Row>) => rows.filter((r) => r[column] !== undefined && !ids.has(r[column])).length;
  t.equal(unknown(signups, 'member_id', memberById), 0, 'signups → members');
  t.equal(unknown(signups, 'class_id', classById), 0, 'signups → classes');
  t.equal(unknown(attendance, 'member_id', memberById), 0, 'attendance → members');
  t.equal(unknown(attendance, 'class_id', classById), 0, 'attendance → classes');
  t.equal(unknown(transactions, 'member_id', memberById), 0, 'transactions → members');
  t.equal(unknown(engagement, 'member_id', memberById), 0, 'engagement → members');
  t.equal(unknown(feedback, 'member_id', memberById), 0, 'class_feedback → members');
  t.equal(unknown(feedback, 'class_id', classById), 0, 'class_feedback → classes');
  t.equal(labels.length, members.length, 'one churn label per member');
  t.equal(unknown(labels, 'member_id', memberById), 0, 'labels → members');

  // Capacity: a class never has more attended (or spot-holding) signups than spots, nor more class check-ins.
  const count = (rows: Row[], pick: (r: Row) => boolean) => {
    const n = new Map<unknown, number>();
    for (const r of rows) if (pick(r)) n.set(r.class_id, (n.get(r.class_id) ?? 0) + 1);
    return n;
  };
  const attended = count(signups, (r) => r.status === 'attended');
  const holding = count(signups, (r) => r.status === 'attended' || r.status === 'no_show' || r.status === 'booked');
  const checkins = count(attendance, (r) => r.class_id !== undefined);
  const over = classes.filter((c) => {
    const cap = c.capacity as number;
    return (attended.get(c.class_id) ?? 0) > cap || (holding.get(c.class_id) ?? 0) > cap || (checkins.get(c.class_id) ?? 0) > cap;
  });
  t.same(over.map((c) => c.class_id), [], 'no class over capacity');

  // One check-in per attended signup, 0–15 minutes before the start.
  const checkinKeys = new Map<string, Row[]>();
  for (const a of attendance) {
    if (a.class_id === undefined) continue;
    const k = `${String(a.member_id)}|${String(a.class_id)}`;
    checkinKeys.set(k, [...(checkinKeys.get(k) ?? []), a]);
  }
  let badCheckins = 0;
  for (const s of signups.filter((r) => r.status === 'attended')) {
    const found = checkinKeys.get(`${String(s.member_id)}|${String(s.class_id)}`) ?? [];
    const start = Date.parse(classById.get(s.class_id)?.starts_at as string);
    const ok = found.length === 1 && start - Date.parse(found[0]?.checked_in_at as string) >= 0 && start - Date.parse(found[0]?.checked_in_at as string) <= 15 * MIN;
    if (!ok) badCheckins++;
  }
  t.equal(badCheckins, 0, 'each attended signup has exactly one check-in 0–15 minutes before start');
  t.equal([...checkinKeys.values()].reduce((n, l) => n + l.length, 0), attended.size === 0 ? 0 : [...attended.values()].reduce((a, b) => a + b, 0), 'no class check-in without an attended signup');
  t.ok(attendance.some((a) => a.class_id === undefined), 'some open-gym visits');

  // Ratings: of a class the member checked in to, sent after it ended, in time order; every star count, comments and skipped questions occur.
  const badRatings = feedback.filter((r) => {
    const c = classById.get(r.class_id);
    const end = Date.parse(c?.starts_at as string) + (c?.duration_minutes as number) * MIN;
    return !checkinKeys.has(`${String(r.member_id)}|${String(r.class_id)}`) || Date.parse(r.submitted_at as string) < end;
  });
  t.same(badRatings.map((r) => r.feedback_id), [], 'each rating is of an attended class, sent after it ended');
  const attendedSignups = [...attended.values()].reduce((a, b) => a + b, 0);
  t.ok(feedback.length > attendedSignups * 0.15 && feedback.length < attendedSignups * 0.3, `${feedback.length} ratings for ${attendedSignups} attended signups (about a quarter)`);
  t.same(feedback.map((r) => r.submitted_at), feedback.map((r) => r.submitted_at).sort(), 'ratings in time order (ids follow it)');
  for (const stars of [1, 2, 3, 4, 5]) t.ok(feedback.some((r) => r.rating === stars), `some ${stars}-star ratings`);
  t.ok(feedback.some((r) => r.comment !== undefined) && feedback.some((r) => r.would_recommend === undefined), 'comments, and skipped recommend questions');

  // Signups: cancelled_at exactly for cancellations, after booking, before the class.
  const badCancel = signups.filter((s) => {
    const cancelled = s.status === 'cancelled' || s.status === 'late_cancelled';
    if (cancelled !== (s.cancelled_at !== undefined)) return true;
    if (!cancelled) return false;
    const at = Date.parse(s.cancelled_at as string);
    return at < Date.parse(s.booked_at as string) || at > Date.parse(classById.get(s.class_id)?.starts_at as string);
  });
  t.same(badCancel.map((s) => s.signup_id), [], 'cancelled_at set exactly for cancellations, between booking and class');
  t.ok(signups.every((s) => Date.parse(s.booked_at as string) < Date.parse(classById.get(s.class_id)?.starts_at as string)), 'booked before the class');
  for (const status of ['attended', 'no_show', 'cancelled', 'late_cancelled', 'booked']) t.ok(signups.some((s) => s.status === status), `some signups are ${status}`);

  // Refunds point to an earlier transaction of the same member and do not exceed it.
  const txById = byKey(transactions, 'transaction_id');
  const refunds = transactions.filter((r) => r.type === 'refund');
  t.ok(refunds.length > 0, 'some refunds');
  const badRefunds = refunds.filter((r) => {
    const orig = txById.get(r.refund_of);
    return !orig || orig.type === 'refund' || orig.member_id !== r.member_id || Date.parse(orig.occurred_at as string) >= Date.parse(r.occurred_at as string) || (r.amount as number) > (orig.amount as number);
  });
  t.same(badRefunds.map((r) => r.transaction_id), [], 'refunds reference earlier transactions');
  t.ok(transactions.filter((r) => r.type !== 'refund').every((r) => r.refund_of === undefined), 'only refunds carry refund_of');
  t.ok(transactions.some((r) => r.status === 'failed'), 'some failed payments');

  // Members and labels agree; churned members stop coming.
  t.ok(members.every((m) => (m.status === 'cancelled') === (m.cancelled_on !== undefined)), 'cancelled_on exactly for cancelled members');
  const lastCheckin = new Map<unknown, string>();
  for (const a of attendance) lastCheckin.set(a.member_id, a.checked_in_at as string);
  const badLabels = labels.filter((l) => {
    if (l.churned === true && (l.churned_on === undefined || l.reason === undefined)) return true;
    if (l.churned !== true && (l.churned_on !== undefined || l.reason !== undefined)) return true;
    if (l.last_visit_on !== undefined && l.churned_on !== undefined && (l.last_visit_on as string) > (l.churned_on as string)) return true;
    const visits = attendance.filter((a) => a.member_id === l.member_id).length;
    return visits !== l.visits;
  });
  t.same(badLabels.map((l) => l.member_id), [], 'labels are consistent with check-ins');
  const m = memberById;
  t.ok(labels.filter((l) => l.reason === 'cancelled').every((l) => m.get(l.member_id)?.status === 'cancelled'), 'cancellation churners are cancelled in members');
});
