import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';

/** A DynamoDB conditional write lost its condition: someone else wrote first (by name too: a second SDK copy has its own class). */
export const isConditionFailure = (err: unknown): boolean =>
  err instanceof ConditionalCheckFailedException || (err as Error)?.name === 'ConditionalCheckFailedException';
