import { boolean, id, integer, oneOf, optional, text, timestamp } from '../columns.js';
import { defineDataset, type RowOf } from '../dataset.js';
import { memberId } from './common.js';

/**
 * Class feedback: the contract of the `class_feedback` dataset, one TypeBox row schema that drives ingest's
 * header check, the ETL plan (casts, checks, quarantine reasons), the Glue table, the DuckDB view and the docs.
 * Scaffolded by `npm run new-dataset -- class_feedback`, then filled in: the worked example of
 * docs/etl-templates.md.
 */

/** Where the member left the rating: the app's post-class prompt, the follow-up email, the studio kiosk. */
export const FEEDBACK_CHANNELS = ['app', 'email', 'kiosk'] as const;
/** The star scale: a whole number of stars, nothing else (a 0 or a 4.5 is quarantined, never rounded). */
export const CLASS_RATING = { minimum: 1, maximum: 5 } as const;

export const classFeedback = defineDataset({
  name: 'class_feedback',
  title: 'Class feedback',
  description:
    'One row per rating a member gave a class session they attended (1–5 stars, an optional comment), exported nightly by the member app. ' +
    'Ratings are never edited: a changed mind is a new row.',
  source: 'member-app',
  properties: {
    feedback_id: id({ description: 'Feedback identifier', example: 'F00012345' }),
    member_id: memberId,
    class_id: id({ description: 'Class session rated (one the member attended)', example: 'C0001234' }),
    submitted_at: timestamp({ description: 'When the member sent the rating (UTC)', example: '2026-01-05T09:12:40Z' }),
    rating: integer({ description: 'Stars given, 1 (poor) to 5 (excellent)', ...CLASS_RATING, example: 5 }),
    comment: optional(text({ description: 'Free-text comment, if any', maxLength: 500, example: 'Great playlist, tough climbs!' })),
    would_recommend: optional(boolean({ description: 'Would recommend the class to a friend; empty when the question was skipped', example: true })),
    channel: oneOf(FEEDBACK_CHANNELS, { description: 'Where the rating was given', example: 'app' }),
  },
  primaryKey: ['feedback_id'],
  partitionBy: 'submitted_at',
  references: [
    { column: 'member_id', dataset: 'members' },
    { column: 'class_id', dataset: 'classes' },
  ],
});

export type ClassFeedbackRow = RowOf<typeof classFeedback>;
