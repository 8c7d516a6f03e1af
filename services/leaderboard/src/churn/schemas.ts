import Type from 'typebox';
import { modelArtifact, modelKindSchema, MAX_MEMBERS_LIMIT, MAX_MEMBERS_OFFSET } from '@peak/churn';
import { CHURN_BANDS } from '@peak/contracts';
import { refusals } from '../refusals.js';


// ---- query strings

export const LOCATION_PATTERN = '^[A-Za-z0-9_.:-]{1,64}$';
const location = Type.String({
  pattern: LOCATION_PATTERN,
  description: 'Only members whose home studio this is (a location id such as `downtown`); one without scores that day is a 400 listing the known ones',
});
const band = Type.Enum(CHURN_BANDS, { description: `Only members in this risk band: ${CHURN_BANDS.join(', ')}` });

export const summaryQuery = Type.Object({ location: Type.Optional(location) });

export const membersQuery = Type.Object({
  location: Type.Optional(location),
  band: Type.Optional(band),
  limit: Type.Integer({ minimum: 1, maximum: MAX_MEMBERS_LIMIT, default: 50, description: `Members per page (1–${MAX_MEMBERS_LIMIT})` }),
  offset: Type.Integer({ minimum: 0, maximum: MAX_MEMBERS_OFFSET, default: 0, description: 'Members to skip: the page starts after this many' }),
});

/** The sentence a bad value of each parameter gets (the schema check alone would say "must match pattern …"). */
export const QUERY_RULES: Readonly<Record<string, string>> = {
  location: 'location must be a studio id (letters, digits, _ . : -, at most 64 characters), such as downtown',
  band: `band must be one of ${CHURN_BANDS.join(', ')}`,
  limit: `limit must be a whole number from 1 to ${MAX_MEMBERS_LIMIT}`,
  offset: `offset must be a whole number from 0 to ${MAX_MEMBERS_OFFSET.toLocaleString('en-US')}`,
};

// ---- answers

const count = (description: string) => Type.Integer({ minimum: 0, description });
const probability = (description: string) => Type.Number({ minimum: 0, maximum: 1, description });
const bandCounts = {
  high: count('Members in the high band (score ≥ the model\'s high threshold, 0.5 by default)'),
  medium: count('Members in the medium band (≥ 0.2 by default)'),
  low: count('Members in the low band'),
};

export const churnSummary = Type.Object(
  {
    asOf: Type.String({ format: 'date', description: 'The day the members were scored as of (the newest day with scores)' }),
    modelVersion: Type.String({ description: 'The model that scored them' }),
    scoredAt: Type.String({ format: 'date-time', description: 'When the scoring job ran (UTC)' }),
    members: count('Members scored (current members of the studio, or of every studio)'),
    meanScore: probability('Mean churn probability: about how many in a hundred are expected to churn within the model\'s horizon'),
    bands: Type.Object(bandCounts, { description: 'Members per risk band' }),
    locations: Type.Array(
      Type.Object({ locationId: Type.String({ description: 'Home studio' }), members: count('Members scored'), meanScore: probability('Mean churn probability'), ...bandCounts }),
      { description: 'Per home studio, sorted by id' },
    ),
    distribution: Type.Array(
      Type.Object({ from: probability('Lowest score of the bin'), to: probability('Scores below this (the last bin includes 1)'), members: count('Members in the bin') }),
      { description: 'The scores in 20 bins of width 0.05 over [0, 1]' },
    ),
  },
  { description: 'The newest day\'s churn scores at a glance' },
);

export const churnMembersPage = Type.Object(
  {
    asOf: Type.String({ format: 'date', description: 'The day the members were scored as of' }),
    total: count('Members matching the filters, on every page'),
    limit: Type.Integer({ description: 'As asked' }),
    offset: Type.Integer({ description: 'As asked' }),
    members: Type.Array(
      Type.Object({
        memberId: Type.String(),
        firstName: Type.Union([Type.String(), Type.Null()], { description: 'From the members export; null if it no longer has the member' }),
        lastName: Type.Union([Type.String(), Type.Null()]),
        homeLocationId: Type.String(),
        plan: Type.Union([Type.String(), Type.Null()]),
        score: probability('Calibrated probability of churning within the model\'s horizon'),
        band: Type.Enum(CHURN_BANDS, { description: 'Risk band' }),
        factors: Type.Array(Type.String(), { description: 'Up to three factors raising the risk most, in words, strongest first' }),
      }),
      { description: 'Riskiest first: score descending, then member id' },
    ),
  },
  { description: 'One page of the newest day\'s scored members' },
);

const registryEntry = Type.Object({
  version: Type.String(),
  trainedAt: Type.String(),
  validationCutoff: Type.String({ format: 'date' }),
  rocAuc: Type.Number({ description: 'The candidate\'s ROC AUC on its validation cut-off (lake labels)' }),
  brier: Type.Number({ description: 'Its Brier score there' }),
  championRocAuc: Type.Optional(Type.Number({ description: 'The champion\'s on the same members, when there was one' })),
  championBrier: Type.Optional(Type.Number()),
  promoted: Type.Boolean(),
  reason: Type.String({ description: 'Why it was (not) promoted' }),
  decidedAt: Type.String(),
});

const m = modelArtifact.properties;
export const churnModelReport = Type.Object(
  {
    version: m.version,
    trainedAt: m.trainedAt,
    horizonDays: Type.Integer({ description: 'Predicts churn within this many days of the scoring day' }),
    inactivityDays: Type.Integer({ description: 'Days without a check-in that make a member churned' }),
    confirmDays: Type.Integer({ description: 'Days after the window a churner must stay away (training labels)' }),
    trainingWindow: m.trainingWindow,
    bands: Type.Object({ high: probability('Lowest score of the high band'), medium: probability('Lowest score of the medium band') }),
    evaluation: Type.Object(
      { lake: m.evaluation.properties.lake, truth: m.evaluation.properties.truth },
      { description: 'On the validation cut-off: model and days-since-last-visit baseline, against the lake\'s labels and (when given at training) the ground truth; each with its reliability table' },
    ),
    kind: Type.Union(modelKindSchema.anyOf, { description: 'The kind of model: the logistic regression, unless the gradient-boosted trees ranked the calibration members better by more than its standard error' }),
    candidates: Type.Array(
      Type.Object({
        kind: modelKindSchema,
        chosen: Type.Boolean(),
        calibrationRocAuc: Type.Number({ description: 'ROC AUC on the held-out calibration members (what the choice is made on)' }),
        validationRocAuc: Type.Object({ lake: Type.Number(), truth: Type.Optional(Type.Number()) }, { description: 'ROC AUC on the validation day, against the lake\'s labels and the ground truth' }),
      }),
      { description: 'Every model kind fitted on the same rows at this training run' },
    ),
    registry: Type.Array(registryEntry, { description: 'Every training run, newest first' }),
  },
  { description: 'The promoted churn model: what it predicts, what it was trained on, how well it does' },
);

export const scoresRefusals = refusals(400, 404, 503);
export const modelRefusals = refusals(404, 503);
