/**
 * One at-risk member's history, opened from the at-risk table: a modal `<dialog>` (focus moves in, Escape or
 * Close leaves and focus returns to the row's button) with who they are, their usual habit, visits per week over
 * half a year, their last visits and their bookings. The member is in the URL (`member=`), so the view is a link.
 *
 * Stable hooks for browser tests: #member-history, #history-title, #history-facts, #chart-history-weeks,
 * #history-visits, #history-close.
 */
import { api, ApiError, errorText, type MemberHistory } from '../api.js';
import { chartIn } from '../chart-kit.js';
import { dataTable, fill, h } from '../dom.js';
import { DASH, formatCount, formatDate, memberName, planName, studioName, titleCase } from '../format.js';
import { weeksOption } from './charts.js';
import { hourLabel, WEEKDAYS } from './panel-data.js';

export type HistoryDialog = { el: HTMLDialogElement; open: (memberId: string) => void; close: () => void; dispose: () => void };

const BOOKING_WORDS: Record<string, string> = { attended: 'attended', no_show: 'no-show', late_cancelled: 'late cancel', cancelled: 'cancelled in time', booked: 'still booked' };

function facts(hist: MemberHistory): HTMLElement {
  const m = hist.member;
  const r = hist.atRisk;
  const usual =
    r.usualWeekday !== null && r.usualHour !== null ? `${WEEKDAYS[r.usualWeekday - 1] ?? DASH} around ${hourLabel(r.usualHour)}` : DASH;
  const items: [string, string][] = [
    ['Home studio', m.homeLocationId ? studioName(m.homeLocationId) : DASH],
    ['Plan', planName(m.plan)],
    ['Member since', formatDate(m.joinDate)],
    ['Status', m.status ? titleCase(m.status) : DASH],
    ['Last visit', r.lastVisit ? `${formatDate(r.lastVisit)} (${formatCount(r.daysSinceLastVisit)} days before ${formatDate(hist.asOf)})` : DASH],
    ['Usually', r.usualVisitsPerWeek !== null ? `${r.usualVisitsPerWeek.toFixed(1)} visits a week, most often ${usual}` : DASH],
  ];
  return h('dl', { class: 'facts', id: 'history-facts' }, items.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

export function historyDialog(onClose: () => void): HistoryDialog {
  const title = h('h2', { id: 'history-title' }, 'Member history');
  const body = h('div', { class: 'history-body' });
  const closeButton = h('button', { type: 'button', id: 'history-close', class: 'close' }, 'Close');
  const el = h('dialog', { id: 'member-history', class: 'history', 'aria-labelledby': 'history-title' }, h('div', { class: 'toolbar' }, title, closeButton), body);
  const weeksEl = h('div', { class: 'chart small-chart', id: 'chart-history-weeks' });
  const weeksChart = chartIn(weeksEl);
  let controller: AbortController | undefined;
  let opener: HTMLElement | null = null;
  let quiet = false; // closed by the page (state change, unmount): the URL is already right

  closeButton.addEventListener('click', () => el.close());
  el.addEventListener('close', () => {
    controller?.abort();
    weeksChart.dispose();
    if (quiet) {
      quiet = false;
      return;
    }
    opener?.focus();
    onClose();
  });
  // The close event comes a task later: the flag stays up until it has come.
  const closeQuietly = () => {
    if (!el.open) return;
    quiet = true;
    el.close();
  };

  function show(hist: MemberHistory): void {
    title.textContent = `${memberName({ ...hist.member, memberId: hist.memberId })} · ${hist.memberId}`;
    const bookings = Object.entries(hist.bookings90d).filter(([, n]) => n > 0);
    fill(
      body,
      facts(hist),
      h('h3', {}, 'Visits per week'),
      weeksEl,
      h('h3', {}, 'Last visits'),
      hist.recentVisits.length
        ? h(
            'div',
            { class: 'table-wrap' },
            dataTable({
              id: 'history-visits',
              caption: `The last ${hist.recentVisits.length} check-ins, newest first`,
              captionHidden: true,
              headers: ['Day', 'Time', 'Studio', 'Class', 'Instructor'],
              rows: hist.recentVisits.map((v) => [
                formatDate(v.localDate),
                v.localTime ?? DASH,
                v.locationId ? studioName(v.locationId) : DASH,
                v.className ?? (v.classType ? titleCase(v.classType) : 'Open gym'),
                v.instructorName ?? DASH,
              ]),
            }),
          )
        : h('p', { class: 'muted', id: 'history-visits' }, 'No check-ins on record.'),
      h('h3', {}, 'Bookings, last 90 days'),
      h('p', { id: 'history-bookings' }, bookings.length ? bookings.map(([k, n]) => `${formatCount(n)} ${BOOKING_WORDS[k] ?? k}`).join(' · ') : 'No bookings.'),
      h('p', { class: 'note' }, `As of ${formatDate(hist.asOf)}, from the metrics refresh of ${formatDate(hist.refreshedAt)}.`),
    );
    if (hist.weeks.some((w) => w.visits > 0)) weeksChart.draw(weeksOption(hist.weeks), `Visits per week for 26 weeks: ${hist.weeks.map((w) => w.visits).join(', ')}.`);
    else weeksChart.empty('No visits in the last 26 weeks.');
  }

  return {
    el,
    open(memberId) {
      if (!el.open) {
        opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
        el.showModal();
      }
      closeButton.focus();
      controller?.abort();
      const mine = (controller = new AbortController());
      title.textContent = `Member ${memberId}`;
      fill(body, h('p', { class: 'placeholder', role: 'status' }, 'Loading the member’s history…'));
      api
        .memberHistory(memberId, { signal: mine.signal })
        .then((hist) => {
          if (!mine.signal.aborted) show(hist);
        })
        .catch((err: unknown) => {
          if (mine.signal.aborted) return;
          const text = err instanceof ApiError && err.code === 'NO_HISTORY' ? `${errorText(err)} Pick a member from the at-risk table.` : `The history could not be loaded: ${errorText(err)}`;
          fill(body, h('p', { role: 'alert', id: 'history-error' }, text));
        });
    },
    close: closeQuietly,
    dispose() {
      controller?.abort();
      weeksChart.dispose();
      closeQuietly();
    },
  };
}
