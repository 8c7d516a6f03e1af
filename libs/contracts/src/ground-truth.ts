import Type, { type Static } from 'typebox';
import { boolean, date, id, integer, oneOf, optional } from './columns.js';

/**
 * The generator's ground truth, written beside (never inside) the exports: did each member really
 * churn, and when. Churn models are scored against it; the platform never ingests it.
 */
export const CHURN_REASONS = ['inactivity', 'cancelled'] as const;

export const churnLabel = Type.Object(
  {
    member_id: id({ description: 'Member identifier', example: 'M000042' }),
    churned: boolean({ description: 'The member left during the simulated period', example: true }),
    churned_on: optional(date({ description: 'Day the member left (last visit for inactivity, cancellation day otherwise)', example: '2026-05-02' })),
    reason: optional(oneOf(CHURN_REASONS, { description: 'How the member left', example: 'inactivity' })),
    last_visit_on: optional(date({ description: 'Last check-in within the simulated period', example: '2026-04-18' })),
    visits: integer({ description: 'Check-ins within the simulated period', minimum: 0, maximum: 100_000, example: 37 }),
    has_routine: boolean({ description: 'The member kept a fixed weekly routine (a retention driver)', example: false }),
  },
  { additionalProperties: false, title: 'Churn label', description: 'Ground truth written by the sample-data generator' },
);
export type ChurnLabel = Static<typeof churnLabel>;
