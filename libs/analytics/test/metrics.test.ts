/**
 * Every catalog metric against answers computed here, by plain loops over the same hand-made world
 * (test/world.ts), for several filter combinations. The SQL and these loops share nothing but the data.
 */
import t from 'tap';
import { DuckDbEngine, runMetric, writeExampleLake, type MetricFilters, type Row } from '@peak/analytics';
import { buildWorld, daysBetween, viewOf, ZONE } from './world.js';

const world = buildWorld();
const { members, visits } = viewOf(world);
const root = t.testdir();
await writeExampleLake(root, world);
const engine = new DuckDbEngine({ lakeRoot: root, timeZone: ZONE });
t.teardown(() => engine.close());

const addDays = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const between = (d: string, from: string, to: string) => d >= from && d <= to;
type Visit = (typeof visits)[number];
const classMatch = (v: Visit, f: Partial<MetricFilters>) =>
  (!f.classType || v.class_type === f.classType) && (!f.instructor || v.instructor_id === f.instructor);

/** Members in scope as catalog docs define it: home location; attended such a class in [from, to]. */
function scope(f: Partial<MetricFilters>, from: string, to: string) {
  return members.filter((m) => {
    if (f.location && m.home_location_id !== f.location) return false;
    if (f.classType || f.instructor) return visits.some((v) => v.member_id === m.member_id && v.class_type !== undefined && between(v.local_date, from, to) && classMatch(v, f));
    return true;
  });
}

const filterSets: Partial<MetricFilters>[] = [{}, { location: 'downtown' }, { classType: 'spin' }, { instructor: 'I02' }, { location: 'riverside', classType: 'yoga' }];
const label = (f: Partial<MetricFilters>) => (Object.keys(f).length ? JSON.stringify(f) : 'no filters');
const run = async (metric: string, filters: Partial<MetricFilters> & { from: string; to: string }, options?: Record<string, unknown>) => (await runMetric(engine, { metric, filters, options })).rows;
const near = (a: unknown, b: number | null) => (b === null ? a === null : typeof a === 'number' && Math.abs(a - b) < 1e-9);

t.test('the world has what the tests need', async (t) => {
  t.ok(visits.some((v, i) => v.local_date !== String(world.attendance[i]?.checked_in_at).slice(0, 10)), 'some check-ins fall on the previous local day');
  t.ok(world.attendance.some((a) => a.class_id === null), 'open-gym visits');
  t.equal(members.find((m) => m.member_id === 'M000003')?.updated_at, '2026-04-01T09:00:00Z', 'the later version of M000003 is current');
  const lastVisit = (id: unknown) => visits.filter((v) => v.member_id === id).map((v) => v.local_date).sort().at(-1);
  t.ok(members.some((m) => (lastVisit(m.member_id) ?? '9999') < '2025-11-26'), 'some members stopped coming long before the churn test\'s range (2026-01-10 − 45 days)');
  t.ok(members.some((m) => (lastVisit(m.member_id) ?? '9999') < String(m.join_date)), 'a member came only before their current membership began');
});

t.test('active_members', async (t) => {
  for (const f of filterSets) {
    for (const [to, windowDays] of [['2026-03-15', 30], ['2026-05-20', 7]] as const) {
      const from = addDays(to, -(windowDays - 1));
      const inScope = new Set(scope(f, from, to).map((m) => m.member_id));
      const expected = new Set(visits.filter((v) => inScope.has(v.member_id) && between(v.local_date, from, to)).map((v) => v.member_id)).size;
      const rows = await run('active_members', { ...f, from: '2026-01-01', to }, { windowDays });
      t.same(rows, [{ as_of: to, active_members: expected }], `${label(f)}, ${windowDays} days to ${to}: ${expected}`);
    }
  }
});

t.test('visits_per_member_per_week', async (t) => {
  for (const f of filterSets) {
    const [from, to] = ['2026-02-01', '2026-03-31'];
    const counted = visits.filter((v) => between(v.local_date, from, to) && (!f.location || v.location_id === f.location) && (!(f.classType || f.instructor) || (v.class_type !== undefined && classMatch(v, f))));
    const people = new Set(counted.map((v) => v.member_id)).size;
    const weeks = (daysBetween(from, to) + 1) / 7;
    const [row] = await run('visits_per_member_per_week', { ...f, from, to });
    t.equal(row?.visits, counted.length, `${label(f)}: ${counted.length} visits`);
    t.equal(row?.members, people, `${label(f)}: ${people} members`);
    t.ok(near(row?.weeks, weeks), 'weeks');
    t.ok(near(row?.visits_per_member_per_week, people ? counted.length / people / weeks : null), `${label(f)}: rate`);
  }
  t.same(await run('visits_per_member_per_week', { from: '2030-01-01', to: '2030-01-31' }), [{ visits: 0, members: 0, weeks: 31 / 7, visits_per_member_per_week: null }], 'no visits: empty rate');
});

t.test('at_risk_members', async (t) => {
  for (const f of filterSets) {
    for (const [minDaysSince, windowDays] of [[14, 30], [30, 60]] as const) {
      const to = '2026-05-01';
      const from = addDays(to, -(windowDays - 1));
      const expected: Row[] = [];
      for (const m of scope(f, from, to)) {
        const mine = visits.filter((v) => v.member_id === m.member_id && v.local_date <= to);
        const last = mine.map((v) => v.local_date).sort().at(-1);
        if (m.status !== 'active' || last === undefined || last < from) continue;
        const days = daysBetween(last, to);
        if (days < minDaysSince) continue;
        const recent = mine.filter((v) => daysBetween(v.local_date, last) < 84);
        const weeks = Math.max(1, Math.min(12, Math.ceil((daysBetween(String(m.join_date), last) + 1) / 7)));
        const mode = (key: 'local_weekday' | 'local_hour') => {
          const counts = new Map<number, number>();
          for (const v of recent) counts.set(v[key], (counts.get(v[key]) ?? 0) + 1);
          return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? null;
        };
        expected.push({
          member_id: m.member_id, first_name: m.first_name, last_name: m.last_name, home_location_id: m.home_location_id, plan: m.plan,
          last_visit: last, days_since_last_visit: days, usual_visits_per_week: recent.length / weeks, usual_weekday: mode('local_weekday'), usual_hour: mode('local_hour'),
        } as Row);
      }
      if (Object.keys(f).length === 0) t.ok(expected.length > 0, `somebody is at risk (${minDaysSince}–${windowDays - 1} days)`);
      expected.sort((a, b) => Number(a.days_since_last_visit) - Number(b.days_since_last_visit) || String(a.member_id).localeCompare(String(b.member_id)));
      const rows = await run('at_risk_members', { ...f, from: '2026-04-01', to }, { minDaysSince, windowDays });
      t.same(rows, expected, `${label(f)}, ${minDaysSince}–${windowDays - 1} days away: ${expected.length} members`);
    }
  }
});

t.test('churn_monthly, by inactivity and by cancellation', async (t) => {
  const [from, to] = ['2026-01-10', '2026-04-30'];
  const months = ['2026-01-01', '2026-02-01', '2026-03-01', '2026-04-01'];
  const nextMonth = (m: string) => (m.slice(5, 7) === '12' ? `${Number(m.slice(0, 4)) + 1}-01-01` : `${m.slice(0, 5)}${String(Number(m.slice(5, 7)) + 1).padStart(2, '0')}-01`);
  for (const f of filterSets) {
    for (const [churnBy, inactivityDays] of [['inactivity', 30], ['inactivity', 45], ['cancellation', 30]] as const) {
      const lifecycle = scope(f, addDays(from, -inactivityDays), to).map((m) => {
        const last = visits.filter((v) => v.member_id === m.member_id && v.local_date <= to).map((v) => v.local_date).sort().at(-1);
        const join = String(m.join_date);
        const inactive = addDays(last !== undefined && last > join ? last : join, inactivityDays);
        const churn = churnBy === 'cancellation' ? (m.cancelled_on as string | null) : inactive <= to ? inactive : null;
        return { join: String(m.join_date), churn };
      });
      const expected = months.map((month) => {
        const next = nextMonth(month);
        const start = lifecycle.filter((l) => l.join < month && (l.churn === null || l.churn >= month)).length;
        const joined = lifecycle.filter((l) => l.join >= month && l.join < next).length;
        const churned = lifecycle.filter((l) => l.churn !== null && l.churn >= month && l.churn < next).length;
        return { month, members_start: start, joined, churned, members_end: start + joined - churned, net_change: joined - churned, churn_rate: start === 0 ? null : churned / start };
      });
      const rows = await run('churn_monthly', { ...f, from, to }, { churnBy, inactivityDays });
      t.same(rows, expected, `${label(f)}, ${churnBy}${churnBy === 'inactivity' ? ` ${inactivityDays} d` : ''}`);
    }
  }
});

t.test('retention_cohorts', async (t) => {
  const [from, to] = ['2026-01-15', '2026-04-20'];
  const months = ['2026-01-01', '2026-02-01', '2026-03-01', '2026-04-01'];
  for (const f of filterSets) {
    const inScope = scope(f, '2026-01-01', to);
    const expected: Row[] = [];
    for (const cohort of months) {
      const joined = inScope.filter((m) => String(m.join_date).slice(0, 7) === cohort.slice(0, 7) && String(m.join_date) <= to);
      if (joined.length === 0) continue;
      months.filter((m) => m >= cohort).forEach((month, k) => {
        const retained = joined.filter((m) => visits.some((v) => v.member_id === m.member_id && v.local_date.slice(0, 7) === month.slice(0, 7) && v.local_date <= to)).length;
        expected.push({ cohort_month: cohort, months_since_join: k, cohort_size: joined.length, retained, retention_rate: retained / joined.length });
      });
    }
    t.same(await run('retention_cohorts', { ...f, from, to }), expected, `${label(f)}: ${expected.length} cells`);
  }
});

const view = viewOf(world);
const classesIn = (f: Partial<MetricFilters>, from: string, to: string) =>
  view.classes.filter((c) => between(c.local_date, from, to) && !c.cancelled && (!f.location || c.location_id === f.location) && (!f.classType || c.class_type === f.classType) && (!f.instructor || c.instructor_id === f.instructor));
const attendeesOf = (classId: unknown) => new Set(view.checkins.filter((a) => a.class_id === classId).map((a) => a.member_id)).size;
const classFilterSets: Partial<MetricFilters>[] = [{}, { location: 'downtown' }, { classType: 'yoga' }, { instructor: 'I03' }, { location: 'riverside', instructor: 'I01' }];
const [from, to] = ['2026-02-01', '2026-04-15'];

t.test('first_visit_gap', async (t) => {
  for (const f of filterSets) {
    for (const withinDays of [7, 0]) {
      const joined = scope(f, from, to).filter((m) => between(String(m.join_date), from, to));
      const gaps = joined.flatMap((m) => {
        const first = visits.filter((v) => v.member_id === m.member_id && between(v.local_date, from, to) && v.local_date >= String(m.join_date)).map((v) => v.local_date).sort()[0];
        return first ? [daysBetween(String(m.join_date), first)] : [];
      }).sort((a, b) => a - b);
      const median = gaps.length === 0 ? null : gaps.length % 2 ? (gaps[(gaps.length - 1) / 2] as number) : ((gaps[gaps.length / 2 - 1] as number) + (gaps[gaps.length / 2] as number)) / 2;
      const [row] = await run('first_visit_gap', { ...f, from, to }, { withinDays });
      t.equal(row?.members_joined, joined.length, `${label(f)}: ${joined.length} joined`);
      t.equal(row?.first_visited, gaps.length, `${label(f)}: ${gaps.length} came`);
      t.ok(near(row?.avg_days_to_first_visit, gaps.length ? gaps.reduce((a, b) => a + b, 0) / gaps.length : null), 'average');
      t.ok(near(row?.median_days_to_first_visit, median), `median ${median}`);
      t.ok(near(row?.share_within_days, joined.length ? gaps.filter((g) => g <= withinDays).length / joined.length : null), `share within ${withinDays} days`);
    }
  }
});

t.test('booking_outcomes', async (t) => {
  for (const f of classFilterSets) {
    const ids = new Set(classesIn(f, from, to).map((c) => c.class_id));
    const mine = view.signups.filter((s) => ids.has(s.class_id));
    const n = (status: string) => mine.filter((s) => s.status === status).length;
    const b = mine.length;
    const [row] = await run('booking_outcomes', { ...f, from, to });
    t.same(row, {
      bookings: b, attended: n('attended'), no_shows: n('no_show'), late_cancelled: n('late_cancelled'), cancelled: n('cancelled'), still_booked: n('booked'),
      conversion_rate: b ? n('attended') / b : null, no_show_rate: b - n('cancelled') ? n('no_show') / (b - n('cancelled')) : null, late_cancel_rate: b ? n('late_cancelled') / b : null,
    }, `${label(f)}: ${b} bookings`);
  }
});

t.test('class fill: heatmap and by class type', async (t) => {
  for (const f of classFilterSets) {
    const group = (key: (c: (typeof view.classes)[number]) => string) => {
      const out = new Map<string, { classes: number; capacity: number; attendees: number }>();
      for (const c of classesIn(f, from, to)) {
        const g = out.get(key(c)) ?? { classes: 0, capacity: 0, attendees: 0 };
        g.classes++;
        g.capacity += Number(c.capacity);
        g.attendees += attendeesOf(c.class_id);
        out.set(key(c), g);
      }
      return [...out].sort(([a], [b]) => a.localeCompare(b)).map(([k, g]) => ({ k, ...g, fill_rate: g.attendees / g.capacity }));
    };
    const heat = group((c) => `${c.location_id}|${c.local_weekday}|${String(c.local_hour).padStart(2, '0')}`).map(({ k, ...g }) => {
      const [location_id, weekday, hour] = k.split('|');
      return { location_id, local_weekday: Number(weekday), local_hour: Number(hour), ...g };
    });
    t.same(await run('class_fill_heatmap', { ...f, from, to }), heat, `${label(f)}: ${heat.length} cells`);
    const byType = group((c) => String(c.class_type)).map(({ k, ...g }) => ({ class_type: k, ...g }));
    t.same(await run('fill_by_class_type', { ...f, from, to }), byType, `${label(f)}: ${byType.length} types`);
  }
});

t.test('instructor_performance', async (t) => {
  for (const f of classFilterSets) {
    const classes = classesIn(f, from, to);
    const expected = [...new Set(classes.map((c) => String(c.instructor_id)))].sort().map((id) => {
      const theirs = classes.filter((c) => c.instructor_id === id);
      const ids = new Set(theirs.map((c) => c.class_id));
      const capacity = theirs.reduce((a, c) => a + Number(c.capacity), 0);
      const attendees = theirs.reduce((a, c) => a + attendeesOf(c.class_id), 0);
      const perMember = new Map<string, Set<unknown>>();
      for (const a of view.checkins) if (ids.has(a.class_id)) perMember.set(a.member_id, (perMember.get(a.member_id) ?? new Set()).add(a.class_id));
      const bookings = view.signups.filter((s) => ids.has(s.class_id));
      const held = bookings.filter((s) => s.status !== 'cancelled').length;
      const latest = [...theirs].sort((a, b) => String(b.starts_at).localeCompare(String(a.starts_at)) || String(b.class_id).localeCompare(String(a.class_id)))[0];
      return {
        instructor_id: id, instructor_name: latest?.instructor_name, classes: theirs.length, capacity, attendees, fill_rate: attendees / capacity, avg_attendees: attendees / theirs.length,
        members: perMember.size, repeat_member_share: perMember.size ? [...perMember.values()].filter((c) => c.size >= 2).length / perMember.size : null,
        no_show_rate: held ? bookings.filter((s) => s.status === 'no_show').length / held : null,
      };
    });
    t.same(await run('instructor_performance', { ...f, from, to }), expected, `${label(f)}: ${expected.length} instructors`);
  }
});

/** revenue_monthly computed by loops (also the ARPU side of ltv_estimate). */
function expectedRevenue(f: Partial<MetricFilters>, from: string, to: string) {
  const months = ['2026-02-01', '2026-03-01', '2026-04-01'].filter((m) => m.slice(0, 7) >= from.slice(0, 7) && m.slice(0, 7) <= to.slice(0, 7));
  const population = f.classType || f.instructor ? new Set(scope({ classType: f.classType, instructor: f.instructor }, months[0] as string, to).map((m) => m.member_id)) : undefined;
  return months.map((month) => {
    const ps = view.transactions.filter((x) => x.local_date.slice(0, 7) === month.slice(0, 7) && x.local_date <= to && (!f.location || x.location_id === f.location) && (!population || population.has(String(x.member_id))));
    const settled = ps.filter((x) => x.status === 'settled');
    const sum = (xs: typeof ps) => xs.reduce((a, x) => a + Number(x.amount), 0);
    const gross = sum(settled.filter((x) => x.type !== 'refund'));
    const refunds = sum(settled.filter((x) => x.type === 'refund'));
    const paying = new Set(settled.filter((x) => x.type !== 'refund').map((x) => x.member_id)).size;
    return { month, gross_revenue: gross, mrr: sum(settled.filter((x) => x.type === 'membership')), refunds, net_revenue: gross - refunds, paying_members: paying, arpu: paying ? (gross - refunds) / paying : null, failed_payments: ps.filter((x) => x.status === 'failed').length };
  });
}

t.test('revenue_monthly', async (t) => {
  for (const f of [{}, { location: 'riverside' }, { classType: 'spin' }, { location: 'downtown', instructor: 'I02' }] as Partial<MetricFilters>[]) {
    const rows = await run('revenue_monthly', { ...f, from, to });
    const expected = expectedRevenue(f, from, to);
    t.equal(rows.length, expected.length, `${label(f)}: one row per month`);
    expected.forEach((e, i) => {
      const r = rows[i] ?? {};
      t.same({ month: r.month, paying_members: r.paying_members, failed_payments: r.failed_payments }, { month: e.month, paying_members: e.paying_members, failed_payments: e.failed_payments }, `${label(f)} ${e.month}: counts`);
      for (const k of ['gross_revenue', 'mrr', 'refunds', 'net_revenue', 'arpu'] as const) t.ok(near(r[k], e[k]), `${label(f)} ${e.month}: ${k} ${e[k]}`);
    });
  }
});

t.test('ltv_estimate = average ARPU ÷ average churn rate', async (t) => {
  for (const f of [{}, { location: 'downtown' }] as Partial<MetricFilters>[]) {
    const arpus = expectedRevenue(f, from, to).map((m) => m.arpu).filter((a): a is number => a !== null);
    const churn = (await run('churn_monthly', { ...f, from, to })).map((r) => r.churn_rate).filter((c): c is number => typeof c === 'number'); // churn itself is tested above
    const arpu = arpus.reduce((a, b) => a + b, 0) / arpus.length;
    const rate = churn.reduce((a, b) => a + b, 0) / churn.length;
    const [row] = await run('ltv_estimate', { ...f, from, to });
    t.ok(near(row?.avg_monthly_arpu, arpu) && near(row?.avg_monthly_churn_rate, rate), `${label(f)}: arpu ${arpu.toFixed(2)}, churn ${rate.toFixed(4)}`);
    t.ok(rate > 0 ? near(row?.ltv_estimate, arpu / rate) && near(row?.expected_lifetime_months, 1 / rate) : row?.ltv_estimate === null, 'ltv');
  }
});

t.test('member_features', async (t) => {
  const asOf = '2026-04-20';
  for (const f of filterSets) {
    const expected = scope(f, addDays(asOf, -89), asOf).sort((a, b) => String(a.member_id).localeCompare(String(b.member_id))).map((m) => {
      const mine = visits.filter((v) => v.member_id === m.member_id && between(v.local_date, addDays(asOf, -364), asOf));
      const age = (v: Visit) => daysBetween(v.local_date, asOf);
      const last = mine.map((v) => v.local_date).sort().at(-1) ?? null;
      const v30 = mine.filter((v) => age(v) < 30).length;
      const prev = mine.filter((v) => age(v) >= 30 && age(v) < 60).length;
      const types = new Map<string, number>();
      for (const v of mine) if (age(v) < 90 && v.class_type) types.set(v.class_type, (types.get(v.class_type) ?? 0) + 1);
      const days = last === null ? null : daysBetween(last, asOf);
      return {
        member_id: m.member_id, email: m.email, first_name: m.first_name, home_location_id: m.home_location_id, plan: m.plan, status: m.status, join_date: m.join_date,
        tenure_days: daysBetween(String(m.join_date), asOf), marketing_opt_in: m.marketing_opt_in, last_visit: last, days_since_last_visit: days,
        visits_30d: v30, visits_90d: mine.filter((v) => age(v) < 90).length, visit_trend: v30 - prev,
        favourite_class_type: [...types].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? null,
        at_risk: m.status === 'active' && days !== null && days >= 14 && days < 30,
      };
    });
    t.same(await run('member_features', { ...f, from: '2026-04-01', to: asOf }), expected, `${label(f)}: ${expected.length} members`);
  }
});
