import { id } from '../columns.js';

/** Columns several datasets share, defined once so their rules and docs stay identical (and references type-check). */
export const memberId = id({ description: 'Member identifier (the studio CRM key)', example: 'M000042' });
export const locationId = id({ description: 'Studio location slug', example: 'downtown' });
