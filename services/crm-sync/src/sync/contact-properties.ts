/**
 * The HubSpot contact properties crm-sync owns: one property group and the members' churn and retention attributes.
 * Contacts are matched on `peak_member_id` (a unique-value property used as the upsert's `idProperty`), never on
 * email: a member who changes email stays one contact. Types follow HubSpot's pairs (type / fieldType):
 * number/number, date/date (midnight UTC), enumeration/select, enumeration/booleancheckbox, string/text.
 */

export const PROPERTY_GROUP = { name: 'peak_fitness', label: 'Peak Fitness engagement', displayOrder: -1 } as const;

export const LIFECYCLE_STAGES = ['new', 'active', 'at_risk', 'lapsed', 'frozen', 'cancelled'] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];
export const RISK_BANDS = ['high', 'medium', 'low'] as const;
export type RiskBand = (typeof RISK_BANDS)[number];

type Option = { label: string; value: string; displayOrder: number };
export type ContactPropertyDefinition = {
  name: string;
  label: string;
  description: string;
  type: 'string' | 'number' | 'date' | 'enumeration';
  fieldType: 'text' | 'number' | 'date' | 'select' | 'booleancheckbox';
  hasUniqueValue?: boolean;
  options?: Option[];
};

const options = (values: readonly string[], label: (v: string) => string): Option[] => values.map((value, displayOrder) => ({ label: label(value), value, displayOrder }));
const words = (v: string) => v.charAt(0).toUpperCase() + v.slice(1).replaceAll('_', ' ');

const YES_NO: Option[] = [{ label: 'Yes', value: 'true', displayOrder: 0 }, { label: 'No', value: 'false', displayOrder: 1 }];

/** The unique key crm-sync upserts on. */
export const MEMBER_ID_PROPERTY = 'peak_member_id';

export const CONTACT_PROPERTIES: readonly ContactPropertyDefinition[] = [
  { name: MEMBER_ID_PROPERTY, label: 'Peak member id', description: 'The member\'s id at Peak Fitness (the key crm-sync matches contacts on)', type: 'string', fieldType: 'text', hasUniqueValue: true },
  { name: 'peak_churn_risk_score', label: 'Churn risk score', description: 'Chance of leaving in the next 30 days, 0–1 (the churn model\'s daily score; updated when it moves by 0.02 or more)', type: 'number', fieldType: 'number' },
  { name: 'peak_churn_risk_band', label: 'Churn risk band', description: 'The churn model\'s band, with hysteresis: it moves only when the score is clearly past the threshold (docs/crm-sync.md)', type: 'enumeration', fieldType: 'select', options: options(RISK_BANDS, words) },
  { name: 'peak_last_visit_date', label: 'Last visit', description: 'Day of the last check-in (empty: none in the last year)', type: 'date', fieldType: 'date' },
  { name: 'peak_visits_30d', label: 'Visits, last 30 days', description: 'Check-ins in the 30 days to the data\'s last day', type: 'number', fieldType: 'number' },
  { name: 'peak_visits_90d', label: 'Visits, last 90 days', description: 'Check-ins in the 90 days to the data\'s last day', type: 'number', fieldType: 'number' },
  { name: 'peak_visit_trend', label: 'Visit trend', description: 'Visits in the last 30 days minus the 30 before', type: 'number', fieldType: 'number' },
  { name: 'peak_member_since', label: 'Member since', description: 'Day the membership started', type: 'date', fieldType: 'date' },
  { name: 'peak_home_location', label: 'Home studio', description: 'The member\'s home studio (location id), for location-based campaigns', type: 'string', fieldType: 'text' },
  { name: 'peak_plan', label: 'Membership plan', description: 'The membership plan', type: 'string', fieldType: 'text' },
  { name: 'peak_favourite_class_type', label: 'Favourite class type', description: 'Most attended class type in the last 90 days', type: 'string', fieldType: 'text' },
  { name: 'peak_lifecycle_stage', label: 'Member lifecycle stage', description: 'new, active, at risk, lapsed, frozen or cancelled (crm-sync\'s rule, see its README)', type: 'enumeration', fieldType: 'select', options: options(LIFECYCLE_STAGES, words) },
  { name: 'peak_at_risk', label: 'At risk', description: 'A regular who has not come for 14+ days (the analytics catalog\'s at-risk rule)', type: 'enumeration', fieldType: 'booleancheckbox', options: YES_NO },
  { name: 'peak_marketing_holdout', label: 'Marketing holdout', description: 'In the stable holdout group (10% of members in every studio): leave out of campaigns, so their effect on retention can be measured', type: 'enumeration', fieldType: 'booleancheckbox', options: YES_NO },
];

export type ContactPropertyName = (typeof CONTACT_PROPERTIES)[number]['name'];
