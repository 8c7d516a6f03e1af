import Type from 'typebox';

/** The body of every refusal of the leaderboard service's APIs. */
export const errorBody = Type.Object(
  {
    code: Type.String({ description: 'Stable error code (see the leaderboard README)' }),
    message: Type.String({ description: 'What went wrong and what to do about it' }),
  },
  { description: 'A refusal' },
);

/** Response schemas for the given refusal statuses. */
export const refusals = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, errorBody]));

/**
 * A schema-error formatter that answers a refused query parameter with its rule in words (`rules[name]`), or
 * Ajv's message when the parameter has none. `app.setSchemaErrorFormatter(queryRuleFormatter(RULES))`.
 */
export const queryRuleFormatter = (rules: Readonly<Record<string, string>>) => (errors: { instancePath: string; message?: string }[], dataVar: string): Error => {
  const first = errors[0];
  const name = first?.instancePath.replace(/^\//, '') ?? '';
  return new Error(rules[name] ?? `${dataVar}${first?.instancePath ?? ''} ${first?.message ?? 'is invalid'}`);
};
