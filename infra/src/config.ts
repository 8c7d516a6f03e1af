import * as pulumi from '@pulumi/pulumi';

/** What one stack (stage) is configured with; read once in index.ts and passed down as component args. */
export interface StackConfig {
  stage: string;
  /** Physical name prefix of every resource: `peak-<stage>`. */
  prefix: string;
  tags: Record<string, string>;
  /** Let `pulumi destroy` delete a lake bucket that still holds objects (dev stacks only). */
  forceDestroyLake: boolean;
}

// Lowercase (S3 names) and short, so `peak-<stage>-attendance-events-dlq` stays far below the 80-char SQS limit.
export const STAGE_PATTERN = /^[a-z][a-z0-9]{1,11}$/;

export function loadStackConfig(): StackConfig {
  // Namespace defaults to the project name: keys are `peak-fitness:<key>`.
  const config = new pulumi.Config();
  const stage = config.require('stage', { pattern: STAGE_PATTERN });
  return {
    stage,
    prefix: `peak-${stage}`,
    tags: { project: 'peak-fitness', stage, 'managed-by': 'pulumi' },
    forceDestroyLake: config.getBoolean('forceDestroyLake') ?? false,
  };
}
