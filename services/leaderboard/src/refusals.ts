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
