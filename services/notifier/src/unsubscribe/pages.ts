/**
 * The pages a member sees after following a link in an email: the unsubscribe confirmation (a GET never
 * unsubscribes — link scanners and prefetchers fetch links), the "done" page, and the per-topic preferences. Plain
 * server-rendered HTML with no script, no cookie and no external asset; every dynamic value is escaped.
 */
import { EMAIL_TOPICS, type EmailTopic } from '@peak/contracts';
import type { PreferenceTopic, RecipientItem } from '../ledger/recipients.js';

export const TOPIC_LABELS: Record<EmailTopic, { label: string; hint: string }> = {
  win_back: { label: 'We-miss-you reminders', hint: 'when you haven\'t visited for a while' },
  onboarding: { label: 'Getting started', hint: 'tips in your first weeks' },
  milestones: { label: 'Class milestones', hint: 'your 10th, 50th and 100th class' },
  location_news: { label: 'News from your studio', hint: 'announcements for your home studio' },
  leaderboard: { label: 'Weekly leaderboard notes', hint: 'when you climb your studio\'s board' },
};

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

const topicName = (topic: PreferenceTopic) => (topic === 'all' ? 'all marketing emails' : TOPIC_LABELS[topic].label);

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)} · Peak Fitness</title>
<style>
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;color:#1d2330}
main{max-width:32rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h1{font-size:1.4rem;margin:0 0 1rem}p{line-height:1.5}.brand{color:#e4572e;font-weight:700;letter-spacing:.02em}
button{font:inherit;padding:.7rem 1.2rem;border:0;border-radius:8px;background:#e4572e;color:#fff;cursor:pointer}
button:focus-visible,a:focus-visible,input:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}
label{display:flex;gap:.6rem;align-items:flex-start;padding:.5rem 0}small{color:#5b6475;display:block}
a{color:#1d4ed8}
</style></head>
<body><main><p class="brand">PEAK FITNESS</p>${body}</main></body></html>`;
}

export function confirmPage(topic: PreferenceTopic, preferencesUrl: string): string {
  return page(
    'Unsubscribe',
    `<h1>Unsubscribe from ${escapeHtml(topicName(topic))}?</h1>
<p>You will stop getting these emails straight away. Emails about your membership and bookings are not affected.</p>
<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>
<p><a href="${escapeHtml(preferencesUrl)}">Choose which emails you get instead</a></p>`,
  );
}

export function unsubscribedPage(topic: PreferenceTopic, preferencesUrl: string): string {
  return page(
    'Unsubscribed',
    `<h1>You're unsubscribed</h1>
<p>You won't get ${escapeHtml(topicName(topic))} from Peak Fitness any more.</p>
<p><a href="${escapeHtml(preferencesUrl)}">Manage all your email preferences</a></p>`,
  );
}

export function preferencesPage(item: Pick<RecipientItem, 'unsubscribed'> | undefined, saved: boolean): string {
  const off = item?.unsubscribed ?? {};
  const all = Boolean(off.all);
  const boxes = EMAIL_TOPICS.map((topic) => {
    const { label, hint } = TOPIC_LABELS[topic];
    const checked = !all && !off[topic] ? ' checked' : '';
    return `<label><input type="checkbox" name="topic" value="${topic}"${checked}><span>${escapeHtml(label)}<small>${escapeHtml(hint)}</small></span></label>`;
  });
  return page(
    'Email preferences',
    `<h1>Your email preferences</h1>${saved ? '<p role="status"><strong>Saved.</strong> Your choices apply from now on.</p>' : ''}
<form method="post"><fieldset style="border:0;padding:0"><legend>Send me:</legend>${boxes.join('\n')}</fieldset>
<button type="submit">Save preferences</button></form>
<p><small>Untick everything to stop all marketing emails. Emails about your membership and bookings are always sent.</small></p>`,
  );
}

export function invalidLinkPage(): string {
  return page(
    'Link not valid',
    `<h1>This link is not valid</h1>
<p>It may have been cut short when it was copied. Use the unsubscribe link at the bottom of one of our emails, or reply to it and we will unsubscribe you.</p>`,
  );
}
