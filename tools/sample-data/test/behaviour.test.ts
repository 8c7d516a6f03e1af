import t from 'tap';
import { generateInto, readRows } from './helpers.js';

type Row = Record<string, unknown>;
const DAY = 86_400_000;

/** One medium run (a year, so both January and June are inside the window) shared by the checks. */
t.test('the simulated chain behaves like one', async (t) => {
  const out = t.testdir();
  await generateInto(out, { seed: 2024, members: 800, days: 365 });
  const members = readRows(out, 'exports/members.csv', 'members');
  const classes = readRows(out, 'exports/classes.csv', 'classes');
  const signups = readRows(out, 'exports/signups.csv', 'signups');
  const engagement = readRows(out, 'exports/engagement.ndjson', 'engagement');
  const labels = readRows(out, 'truth/churn_labels.csv', 'churn_labels');

  const joinsIn = (month: string) => members.filter((m) => (m.join_date as string).slice(5, 7) === month).length;
  t.ok(joinsIn('01') > joinsIn('06'), `January joins (${joinsIn('01')}) > June joins (${joinsIn('06')})`);
  t.ok(joinsIn('09') > joinsIn('08'), `September bump: ${joinsIn('09')} > August ${joinsIn('08')}`);

  const churnRate = (rows: Row[]) => rows.filter((l) => l.churned === true).length / rows.length;
  const routine = labels.filter((l) => l.has_routine === true);
  const other = labels.filter((l) => l.has_routine === false);
  t.ok(routine.length > 100 && other.length > 100, 'both groups are sizeable');
  t.ok(churnRate(routine) < churnRate(other) * 0.8, `routine churn ${churnRate(routine).toFixed(3)} well below non-routine ${churnRate(other).toFixed(3)}`);
  t.ok(labels.some((l) => l.reason === 'inactivity') && labels.some((l) => l.reason === 'cancelled'), 'both churn reasons occur');

  const held = new Map<unknown, number>();
  const attended = new Map<unknown, number>();
  for (const s of signups) {
    if (s.status === 'attended' || s.status === 'no_show' || s.status === 'booked') held.set(s.class_id, (held.get(s.class_id) ?? 0) + 1);
    if (s.status === 'attended') attended.set(s.class_id, (attended.get(s.class_id) ?? 0) + 1);
  }
  const past = classes.filter((c) => c.cancelled === false && (c.starts_at as string) < '2026-06-30');
  const full = past.filter((c) => held.get(c.class_id) === c.capacity).length;
  const underHalf = past.filter((c) => (attended.get(c.class_id) ?? 0) < (c.capacity as number) / 2).length;
  t.ok(full > past.length * 0.05, `some classes fill (${full} of ${past.length})`);
  t.ok(underHalf > past.length * 0.1, `some stay under half full (${underHalf} of ${past.length})`);
  t.ok(classes.some((c) => c.cancelled === true), 'the studio cancels a few sessions');

  // Engagement fades before churn: app events in the last 4 weeks before leaving vs the 8 weeks before that.
  const eventsByMember = new Map<unknown, number[]>();
  for (const e of engagement) {
    const list = eventsByMember.get(e.member_id);
    const ms = Date.parse(e.occurred_at as string);
    if (list) list.push(ms);
    else eventsByMember.set(e.member_id, [ms]);
  }
  const joinOf = new Map(members.map((m) => [m.member_id, Date.parse(m.join_date as string)]));
  let recent = 0;
  let before = 0;
  for (const l of labels) {
    if (l.reason !== 'inactivity') continue;
    const churn = Date.parse(l.churned_on as string);
    if ((joinOf.get(l.member_id) as number) > churn - 84 * DAY || churn - 84 * DAY < Date.parse('2025-07-01')) continue;
    for (const ms of eventsByMember.get(l.member_id) ?? []) {
      if (ms > churn - 28 * DAY && ms <= churn) recent++;
      else if (ms > churn - 84 * DAY && ms <= churn - 28 * DAY) before++;
    }
  }
  // Per week: 4 recent weeks vs 8 earlier ones.
  t.ok(recent / 4 < (before / 8) * 0.9, `app activity drops before churn (${(recent / 4).toFixed(0)}/week vs ${(before / 8).toFixed(0)}/week)`);
  // Members who cancelled are gone from the app after their cancellation day (a day of slack for time zones).
  const lingering = labels.filter(
    (l) => l.reason === 'cancelled' && (eventsByMember.get(l.member_id) ?? []).some((ms) => ms > Date.parse(l.churned_on as string) + 2 * DAY),
  );
  t.same(lingering.map((l) => l.member_id), [], 'members who cancelled stop engaging');
});
