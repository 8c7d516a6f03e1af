/**
 * The email catalog: for each template of the contract (`EMAIL_TEMPLATES`) its subject, preheader and footer reason
 * (Handlebars, plain text), the variables an `email-request` must carry with their types and limits, which topic a
 * member unsubscribes from, a description, and sample variables for previews and tests. The bodies are the `.hbs`
 * files in `sources/` (see sources.ts); render.ts puts them together.
 *
 * A template added to the contract without an entry here fails the type check (the catalog is keyed by EmailTemplate)
 * and the templates test.
 */
import type { EmailKind, EmailTemplate, EmailTopic } from '@peak/contracts';
import type { TemplateIssue } from './errors.js';
import type { RenderInput } from './validate.js';
import { capLine, formatCount, ordinal, paragraphs, plural } from './format.js';

interface BaseVariable {
  description: string;
  required: boolean;
}
/** Text, escaped in HTML. Single-line unless `multiline` (then paragraphs split on blank lines). */
export interface TextVariable extends BaseVariable {
  type: 'text';
  maxLength: number;
  multiline: boolean;
}
/** A whole number in [min, max]; a numeric string is refused (the planner sends numbers as JSON numbers). */
export interface IntegerVariable extends BaseVariable {
  type: 'integer';
  min: number;
  max: number;
}
/** An absolute http(s) URL, no credentials, at most URL_MAX_LENGTH characters. */
export interface UrlVariable extends BaseVariable {
  type: 'url';
}
export type VariableSpec = TextVariable | IntegerVariable | UrlVariable;
export type VariableSpecs = Readonly<Record<string, VariableSpec>>;

export const URL_MAX_LENGTH = 2000;

type ValueOf<S extends VariableSpec> = S extends IntegerVariable ? number : string;
/** Validated, normalised variables: optional ones that were not given (or were blank) are null. */
export type TemplateValues<V extends VariableSpecs = VariableSpecs> = {
  readonly [K in keyof V]: V[K]['required'] extends true ? ValueOf<V[K]> : ValueOf<V[K]> | null;
};
export type SampleVariables<V extends VariableSpecs = VariableSpecs> = { readonly [K in keyof V]?: ValueOf<V[K]> };

export interface TemplateSpec<V extends VariableSpecs = VariableSpecs> {
  /** What the email is for and when the planner sends it. */
  description: string;
  /** The preference topic its unsubscribe link opts out of (what the planner puts in the request). */
  topic: EmailTopic;
  kind: EmailKind;
  /** Handlebars, rendered as plain text, then forced onto one line and capped at SUBJECT_MAX_LENGTH. */
  subject: string;
  /** Handlebars, plain text: the inbox preview line (hidden in the body). */
  preheader: string;
  /** Handlebars, plain text: the footer's "why you got this". */
  reason: string;
  /** The button's label (when the email has a `ctaUrl`; a `ctaLabel` variable overrides it). */
  ctaLabel: string;
  variables: V;
  sample: SampleVariables<V>;
  /** Rules across variables (after each one is valid on its own). */
  check?(values: TemplateValues<V>): TemplateIssue[];
  /** Derived display values (ordinals, counts, paragraphs) the sources use besides the variables themselves. */
  view?(values: TemplateValues<V>): Record<string, unknown>;
}

export const SUBJECT_MAX_LENGTH = 140;
export const PREHEADER_MAX_LENGTH = 150;
export const FIRST_NAME_FALLBACK = 'there';

const text = <R extends boolean>(required: R, maxLength: number, description: string, multiline = false): TextVariable & { required: R } => ({
  type: 'text',
  required,
  maxLength,
  multiline,
  description,
});
const integer = <R extends boolean>(required: R, min: number, max: number, description: string): IntegerVariable & { required: R } => ({
  type: 'integer',
  required,
  min,
  max,
  description,
});
const url = <R extends boolean>(required: R, description: string): UrlVariable & { required: R } => ({ type: 'url', required, description });

const firstName = text(false, 100, `Member's first name; blank or absent → "${FIRST_NAME_FALLBACK}" in the greeting`);
const bookingUrl = (what: string) => url(true, `Where the button goes: ${what}`);
const define = <V extends VariableSpecs>(spec: TemplateSpec<V>): TemplateSpec<V> => spec;

const SAMPLE_NAME = 'Maya';
const SAMPLE_BOOKING = 'https://peakfitness.example/book?location=downtown';

const catalog = {
  welcome: define({
    description: 'Day 1 after joining: welcome, how to make the first class easy. Transactional (ignores topics, holdout and the cap).',
    topic: 'onboarding',
    kind: 'transactional',
    subject: 'Welcome to {{locationName}}{{#if name}}, {{name}}{{/if}}',
    preheader: "Your membership is live. Here's how to make your first class an easy one.",
    reason: "You're getting this email because you just became a member of {{locationName}}.",
    ctaLabel: 'Book your first class',
    variables: { firstName, ctaUrl: bookingUrl('the class timetable of the home studio') },
    sample: { firstName: SAMPLE_NAME, ctaUrl: SAMPLE_BOOKING },
  }),

  first_visit_nudge: define({
    description: 'Day 7 after joining with no check-in yet: a nudge to book the first class.',
    topic: 'onboarding',
    kind: 'marketing',
    subject: 'Your first class at {{locationName}} is waiting',
    preheader: 'Most new members start with one beginner-friendly class. Pick a time that suits you.',
    reason: "You're getting this email because you joined {{locationName}} recently.",
    ctaLabel: 'Find a class',
    variables: {
      firstName,
      suggestedClass: text(false, 80, 'A beginner-friendly class to suggest, as it should read in a sentence (e.g. "Beginner Spin on Tuesdays at 6 pm")'),
      ctaUrl: bookingUrl('the class timetable of the home studio'),
    },
    sample: { firstName: SAMPLE_NAME, suggestedClass: 'Beginner Spin on Tuesdays at 6 pm', ctaUrl: SAMPLE_BOOKING },
  }),

  habit: define({
    description: "After the 3rd class: you're building a habit, book the next one.",
    topic: 'onboarding',
    kind: 'marketing',
    subject: '{{classesDone}} down{{#if name}}, {{name}}{{/if}}: keep it going',
    preheader: "You've been to {{classesDone}} at {{locationName}}. Booking the next one now keeps the streak going.",
    reason: "You're getting this email because you joined {{locationName}} recently.",
    ctaLabel: 'Book your next class',
    variables: {
      firstName,
      classesAttended: integer(true, 1, 100_000, 'Classes the member has attended so far (3 when the planner sends it)'),
      ctaUrl: bookingUrl('the class timetable of the home studio'),
    },
    sample: { firstName: SAMPLE_NAME, classesAttended: 3, ctaUrl: SAMPLE_BOOKING },
    view: (v) => ({ classesDone: plural(v.classesAttended, 'class', 'classes') }),
  }),

  win_back: define({
    description: 'No check-in for N days: we miss you, come back this week.',
    topic: 'win_back',
    kind: 'marketing',
    subject: 'We miss you at {{locationName}}{{#if name}}, {{name}}{{/if}}',
    preheader: "It's been {{daysAway}} since your last class. Your spot is still here.",
    reason: "You're getting this email because you're a member of {{locationName}} and haven't visited for a while.",
    ctaLabel: 'Book a class this week',
    variables: {
      firstName,
      daysSinceLastVisit: integer(true, 1, 3650, "Whole days since the member's last check-in"),
      lastClassName: text(false, 60, 'The kind of class the member went to most (e.g. "Spin"), if known'),
      ctaUrl: bookingUrl('the class timetable of the home studio'),
    },
    sample: { firstName: SAMPLE_NAME, daysSinceLastVisit: 45, lastClassName: 'Spin', ctaUrl: SAMPLE_BOOKING },
    view: (v) => ({ daysAway: plural(v.daysSinceLastVisit, 'day') }),
  }),

  milestone: define({
    description: 'The 10th, 50th or 100th class (any milestone the planner picks): congratulations.',
    topic: 'milestones',
    kind: 'marketing',
    subject: 'Your {{milestoneOrdinal}} class at {{locationName}}: congratulations!',
    preheader: "{{milestoneCount}} classes and counting. That's worth celebrating.",
    reason: "You're getting this email because you reached a class milestone at {{locationName}}.",
    ctaLabel: 'Book your next class',
    variables: {
      firstName,
      milestone: integer(true, 1, 100_000, 'The class number just reached (10, 50, 100, …)'),
      ctaUrl: bookingUrl('the class timetable of the home studio'),
    },
    sample: { firstName: SAMPLE_NAME, milestone: 50, ctaUrl: SAMPLE_BOOKING },
    view: (v) => ({ milestoneOrdinal: ordinal(v.milestone), milestoneCount: formatCount(v.milestone) }),
  }),

  location_news: define({
    description: 'An announcement for one studio written by its staff: a title and plain-text paragraphs (blank line between them).',
    topic: 'location_news',
    kind: 'marketing',
    subject: '{{locationName}}: {{title}}',
    preheader: '{{bodyPreview}}',
    reason: "You're getting this email because {{locationName}} is your home studio.",
    ctaLabel: 'Find out more',
    variables: {
      firstName,
      title: text(true, 100, 'Headline of the announcement (plain text, one line)'),
      body: text(true, 2000, 'The announcement, plain text; a blank line separates paragraphs, a single line break stays a line break', true),
      ctaUrl: url(false, 'Optional link for a button under the announcement'),
      ctaLabel: text(false, 40, 'Label of that button (default "Find out more"); only with ctaUrl'),
    },
    sample: {
      firstName: SAMPLE_NAME,
      title: 'New 6 am HIIT classes from 3 March',
      body:
        'Early birds, this one is for you: from Monday 3 March we are adding a 6 am HIIT class every weekday, led by Jordan and Priya.\n\n' +
        'Classes are 45 minutes, so you are out the door by 7. Towels & water are on us for the first week.\n\n' +
        'Opening times:\nMonday to Friday 5:30 am – 10 pm\nSaturday & Sunday 7 am – 6 pm',
      ctaUrl: 'https://peakfitness.example/timetable?location=downtown&class=hiit',
      ctaLabel: 'See the new timetable',
    },
    check: (v) =>
      v.ctaLabel !== null && v.ctaUrl === null
        ? [{ code: 'BAD_VARIABLE', variable: 'ctaLabel', message: 'variable "ctaLabel" is given without "ctaUrl": add the link or drop the label' }]
        : [],
    view: (v) => ({ paragraphs: paragraphs(v.body), bodyPreview: capLine(v.body, 120) }),
  }),

  leaderboard_climb: define({
    description: "Weekly: the member climbed on their studio's leaderboard (old rank → new rank).",
    topic: 'leaderboard',
    kind: 'marketing',
    subject: 'You climbed to {{newRankOrdinal}} on the {{locationName}} leaderboard',
    preheader: 'Up {{placesUp}}, from {{oldRankOrdinal}} to {{newRankOrdinal}}, for the {{weekLabel}}. Nice work.',
    reason: "You're getting this email because you're on the {{locationName}} leaderboard.",
    ctaLabel: 'See the leaderboard',
    variables: {
      firstName,
      oldRank: integer(true, 2, 100_000, 'Rank on the board the week before'),
      newRank: integer(true, 1, 100_000, 'Rank now (smaller than oldRank: it is a climb)'),
      weekLabel: text(true, 40, 'The week, as it reads after "for the" (e.g. "week of 2 March")'),
      ctaUrl: bookingUrl("the studio's leaderboard"),
    },
    sample: { firstName: SAMPLE_NAME, oldRank: 12, newRank: 4, weekLabel: 'week of 2 March', ctaUrl: 'https://peakfitness.example/leaderboard?location=downtown' },
    check: (v) =>
      v.newRank < v.oldRank
        ? []
        : [{ code: 'BAD_VARIABLE', variable: 'newRank', message: `variable "newRank" (${v.newRank}) must be a better (smaller) rank than "oldRank" (${v.oldRank}) for a climb` }],
    view: (v) => ({ oldRankOrdinal: ordinal(v.oldRank), newRankOrdinal: ordinal(v.newRank), placesUp: plural(v.oldRank - v.newRank, 'place') }),
  }),
} satisfies { readonly [T in EmailTemplate]: TemplateSpec<VariableSpecs> };

/** Every template of the contract, by name. */
export const EMAIL_CATALOG: { readonly [T in EmailTemplate]: TemplateSpec } = catalog;

/** The links and footer the previews and tests render with (hosts under the reserved .example TLD, a made-up address). */
export const SAMPLE_RENDER_INPUT: Readonly<RenderInput> = {
  unsubscribeUrl: 'https://notify.peakfitness.example/u/sample-unsubscribe-token?topic=sample',
  preferencesUrl: 'https://peakfitness.example/account/email-preferences?m=sample-member',
  locationName: 'Peak Fitness Downtown',
  postalAddress: '120 Main Street, Suite 4, Springfield, IL 62701, USA',
};

/** How the footer names a topic: "Unsubscribe from <label>". */
export const TOPIC_LABELS: { readonly [T in EmailTopic]: string } = {
  win_back: '"we miss you" emails',
  onboarding: 'getting-started emails',
  milestones: 'milestone emails',
  location_news: 'studio news',
  leaderboard: 'leaderboard updates',
};

/** The template's spec, or undefined for a name the contract doesn't know (own keys only: no `__proto__` tricks). */
export function templateSpec(template: string): TemplateSpec | undefined {
  return Object.hasOwn(EMAIL_CATALOG, template) ? EMAIL_CATALOG[template as EmailTemplate] : undefined;
}
