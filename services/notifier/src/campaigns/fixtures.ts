/**
 * A small hand-made lake for the planner's tests (and anyone's end-to-end test): members and check-ins placed on the
 * boundaries of every campaign, relative to an as-of day (a Sunday, so the last full week ends on it). Each member's id
 * says what it tests; the comments say which campaigns must select it. Times are local wall-clock times in the zone.
 */
import { writeLake, type FixtureRow } from '@peak/analytics';
import { addDays, localMidnightMs } from './days.js';

export type CampaignWorld = { asOf: string; timeZone: string; members: FixtureRow[]; attendance: FixtureRow[]; classes: FixtureRow[] };

const LONG_AGO = '2025-01-15';

export function buildCampaignWorld(asOf: string, timeZone = 'America/New_York'): CampaignWorld {
  const d = (n: number) => addDays(asOf, -n);
  const at = (day: string, hhmm: string) => {
    const [h, m] = hhmm.split(':').map(Number) as [number, number];
    return new Date(localMidnightMs(day, timeZone) + (h * 60 + m) * 60_000).toISOString().replace('.000Z', 'Z');
  };
  const members: FixtureRow[] = [];
  const attendance: FixtureRow[] = [];
  const classRows: FixtureRow[] = [];
  const member = (
    id: string,
    o: { home?: string; join?: string; status?: 'active' | 'frozen' | 'cancelled'; optIn?: boolean; email?: string | null; first?: string | null } = {},
  ) => {
    const status = o.status ?? 'active';
    const join = o.join ?? LONG_AGO;
    members.push({
      member_id: id, email: o.email === undefined ? `${id.toLowerCase()}@example.com` : o.email, first_name: o.first === undefined ? `First${id}` : o.first,
      last_name: `Last${id}`, home_location_id: o.home ?? 'downtown', join_date: join, plan: 'unlimited', status,
      cancelled_on: status === 'cancelled' ? d(1) : null, birth_year: 1990, marketing_opt_in: o.optIn ?? true, updated_at: `${join}T12:00:00Z`,
    });
  };
  let checkins = 0;
  let classes = 0;
  /** A check-in: a class (default) or an open-gym visit, at a studio; with `type`, the class is in the schedule too. */
  const visit = (memberId: string, day: string, hhmm = '09:00', o: { location?: string; openGym?: boolean; type?: string } = {}) => {
    const classId = o.openGym ? null : `C${String(++classes).padStart(6, '0')}`;
    const location = o.location ?? 'downtown';
    attendance.push({ checkin_id: `K${String(++checkins).padStart(6, '0')}`, member_id: memberId, class_id: classId, location_id: location, checked_in_at: at(day, hhmm), method: 'card' });
    if (classId && o.type) {
      classRows.push({
        class_id: classId, location_id: location, class_type: o.type, class_name: `${o.type} ${hhmm}`, instructor_id: 'I01', instructor_name: 'Someone',
        starts_at: at(day, hhmm), duration_minutes: 45, capacity: 20, cancelled: false, updated_at: '2025-01-01T00:00:00Z',
      });
    }
  };
  const classesOn = (memberId: string, days: number[], hhmm: string, location: string) => days.forEach((n) => visit(memberId, d(n), hhmm, { location }));
  const range = (from: number, to: number) => Array.from({ length: from - to + 1 }, (_, i) => from - i); // from, from-1, …, to

  // --- win_back (after 14 days, at most 42) ---
  member('W13'); visit('W13', d(13), '18:00', { openGym: true }); // 13 days: not yet
  member('W14'); visit('W14', d(40), '09:00', { type: 'yoga' }); visit('W14', d(30), '09:00', { type: 'spin' }); visit('W14', d(14), '07:15', { type: 'spin' }); // 14 days: selected, period = d(14); mostly Spin
  member('W14L'); visit('W14L', d(14), '21:30', { type: 'hiit' }); // 14 local days (13 by the UTC day): selected
  member('W42', { first: null }); visit('W42', d(42), '12:00'); // 42 days: selected, no first name
  member('W43'); visit('W43', d(43), '12:00'); // 43 days: too long ago
  member('WNEVER'); // never came: not lapsing
  member('WFROZEN', { status: 'frozen' }); visit('WFROZEN', d(20));
  member('WCANCEL', { status: 'cancelled' }); visit('WCANCEL', d(20));
  member('WNOOPT', { optIn: false }); visit('WNOOPT', d(20));
  member('BADMAIL', { email: 'not-an-email' }); visit('BADMAIL', d(20)); // in the audience, invalid
  member('NOMAIL', { email: null }); visit('NOMAIL', d(20)); // in the audience, invalid

  // --- welcome (joined the day before; catch-up 2 days: joined d(3)..d(1)) ---
  member('J0', { join: d(0) }); // joined on the as-of day: tomorrow's
  member('J1', { join: d(1), optIn: false }); // selected: transactional needs no consent
  member('J2', { join: d(2) }); // catch-up only
  member('J3', { join: d(3) }); // catch-up only
  member('J4', { join: d(4) }); // too late
  member('J1C', { join: d(1), status: 'cancelled' });

  // --- first_visit_nudge (joined 7 days before, no check-in since; catch-up: joined d(9)..d(7)) ---
  member('N7', { join: d(7) }); // selected
  member('N7V', { join: d(7) }); visit('N7V', d(3));
  member('N7VJ', { join: d(7) }); visit('N7VJ', d(7), '19:00', { openGym: true }); // came on the day they joined
  member('N7OLD', { join: d(7) }); visit('N7OLD', d(60)); // came under an earlier membership only: selected
  member('N6', { join: d(6) });
  member('N9', { join: d(9) }); // catch-up only
  member('N10', { join: d(10) });
  member('N7NOOPT', { join: d(7), optIn: false });

  // --- habit (3rd class; catch-up: d(2)..d(0)) — classes at riverside ---
  const rs = 'riverside';
  member('H3'); classesOn('H3', [10, 5, 0], '10:00', rs); // selected
  member('H3Y'); classesOn('H3Y', [9, 4, 1], '10:00', rs); // catch-up only
  member('H3OG'); classesOn('H3OG', [8, 2], '10:00', rs); visit('H3OG', d(0), '10:00', { location: rs, openGym: true }); // 2 classes + open gym
  member('H4'); classesOn('H4', [12, 8, 5, 0], '10:00', rs); // 3rd was on d(5)
  member('H3F', { status: 'frozen' }); classesOn('H3F', [10, 5, 0], '10:00', rs);

  // --- milestone (10th, 50th, 100th class; catch-up: d(2)..d(0)) — riverside ---
  member('M10'); classesOn('M10', range(9, 0), '08:00', rs); // 10th on the as-of day
  member('M10Y'); classesOn('M10Y', range(10, 1), '08:00', rs); // 10th the day before: catch-up only
  member('M11'); classesOn('M11', [...range(14, 5), 0], '08:00', rs); // 10th on d(5), 11th on the as-of day
  member('M50'); classesOn('M50', range(49, 0), '08:00', rs); // 50th on the as-of day
  member('M10F', { status: 'frozen' }); classesOn('M10F', range(9, 0), '08:00', rs);
  member('M10TWO'); classesOn('M10TWO', range(8, 1), '08:00', rs); visit('M10TWO', d(0), '07:00', { location: rs }); visit('M10TWO', d(0), '18:00', { location: rs }); // 8 → 10 on the as-of day

  // --- leaderboard_climb (harbor's board; last week d(6)..d(0), the week before d(13)..d(7)) ---
  const hb = 'harbor';
  member('LB1', { home: hb }); member('LB2', { home: hb }); member('LB3', { home: hb }); member('LB4', { home: rs }); member('LB5', { home: hb });
  member('LB6', { home: hb, status: 'frozen' });
  // The week before: LB4 5, LB2 4, LB1 3, LB3 1 (07:00), LB6 1 (07:30): ranks 1, 2, 3, 4, 5.
  classesOn('LB4', [13, 12, 11, 10, 9], '08:00', hb);
  classesOn('LB2', [13, 12, 11, 10], '09:00', hb);
  visit('LB2', d(14), '23:00', { location: hb }); // the Sunday before: in neither week
  classesOn('LB1', [12, 11, 10], '10:00', hb);
  visit('LB1', d(8), '12:00', { location: hb, openGym: true }); // open gym: not on the class board
  classesOn('LB3', [12], '07:00', hb);
  classesOn('LB6', [12], '07:30', hb);
  // Last week: LB6 6, LB1 5 (the 5th on Sunday 23:30 local = Monday UTC), LB3 4 (reached first), LB5 4, LB2 2, LB4 1.
  classesOn('LB6', range(6, 1), '07:00', hb);
  classesOn('LB1', [6, 5, 4, 3], '10:00', hb);
  visit('LB1', d(0), '23:30', { location: hb });
  classesOn('LB3', [6, 5, 4, 3], '07:00', hb);
  classesOn('LB5', [6, 5, 4, 2], '07:00', hb);
  classesOn('LB2', [6, 5], '09:00', hb);
  classesOn('LB4', [6], '08:00', hb);

  return { asOf, timeZone, members, attendance, classes: classRows };
}

/** Writes the world into `<root>/processed/…` as the ETL would. */
export async function writeCampaignWorld(root: string, asOf: string, timeZone = 'America/New_York'): Promise<CampaignWorld> {
  const world = buildCampaignWorld(asOf, timeZone);
  await writeLake(root, { members: world.members, attendance: world.attendance, classes: world.classes });
  return world;
}
