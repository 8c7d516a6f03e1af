import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/**
 * The services' API keys that no component keeps yet, by the variable each reaches its container as (the task
 * definition's `secrets`). The format is the service's config pattern; the value is the whole variable.
 */
export const SERVICE_API_KEY_SECRETS = {
  ingestApiKeys: {
    variable: 'INGEST_API_KEYS',
    service: 'ingest',
    suffix: 'ingest-api-keys',
    format: 'source:key pairs, comma-separated (membership-system:<key>,door-system:<key>); a key ≥ 16 of A-Z a-z 0-9 _ -',
  },
  crmSyncApiKeys: {
    variable: 'CRM_SYNC_API_KEYS',
    service: 'crm-sync',
    suffix: 'crm-sync-api-keys',
    format: 'bearer keys of /v1/runs, comma-separated, each ≥ 16 of A-Z a-z 0-9 _ -',
  },
  notifierApiKeys: {
    variable: 'NOTIFIER_API_KEYS',
    service: 'notifier',
    suffix: 'notifier-api-keys',
    format: 'bearer keys of /v1 (send log, campaign runs, suppressions), comma-separated, each ≥ 16 of A-Z a-z 0-9 _ -',
  },
  etlAdminKey: {
    variable: 'ETL_ADMIN_KEY',
    service: 'etl',
    suffix: 'etl-admin-key',
    format: 'one bearer key of POST /v1/batches/:id/replay (npm run replay), ≥ 16 of A-Z a-z 0-9 _ -',
  },
} as const;
export type ServiceSecretName = keyof typeof SERVICE_API_KEY_SECRETS;

export interface ServiceSecretsArgs {
  /** Physical name prefix (`peak-<stage>`): secrets `<prefix>-<service>-api-keys` (ETL: `<prefix>-etl-admin-key`). */
  prefix: string;
  tags?: Record<string, string>;
}

/**
 * The Secrets Manager secrets of the services' API keys, created before the services so they can be filled once.
 * Like the HubSpot token and the unsubscribe signing keys they have no value here: a generated value would sit in the
 * Pulumi state (and there is no @pulumi/random in the repo), so the operator puts each (infra/README.md), and each
 * service's execution role is its only reader, ECS setting the variable when a task starts. The account's
 * aws/secretsmanager key encrypts them. The leaderboard has no API key (its routes are open), so no secret.
 */
export class ServiceSecrets extends pulumi.ComponentResource {
  readonly secrets: Record<ServiceSecretName, aws.secretsmanager.Secret>;
  readonly arns: Record<ServiceSecretName, pulumi.Output<string>>;
  readonly names: Record<ServiceSecretName, pulumi.Output<string>>;

  constructor(name: string, args: ServiceSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('peak:security:ServiceSecrets', name, {}, opts);
    const entries = Object.entries(SERVICE_API_KEY_SECRETS) as [ServiceSecretName, (typeof SERVICE_API_KEY_SECRETS)[ServiceSecretName]][];
    this.secrets = Object.fromEntries(
      entries.map(([key, s]) => [
        key,
        new aws.secretsmanager.Secret(
          `${name}-${s.suffix}`,
          {
            name: `${args.prefix}-${s.suffix}`,
            description: `${s.service}'s ${s.variable}: ${s.format}; put by hand (never in the stack), see infra/README.md`,
            tags: { ...(args.tags ?? {}), component: 'service-secrets', service: s.service },
          },
          { parent: this },
        ),
      ]),
    ) as Record<ServiceSecretName, aws.secretsmanager.Secret>;
    const map = (pick: (s: aws.secretsmanager.Secret) => pulumi.Output<string>) =>
      Object.fromEntries(entries.map(([key]) => [key, pick(this.secrets[key])])) as Record<ServiceSecretName, pulumi.Output<string>>;
    this.arns = map((s) => s.arn);
    this.names = map((s) => s.name);
    this.registerOutputs({ arns: this.arns, names: this.names });
  }
}
