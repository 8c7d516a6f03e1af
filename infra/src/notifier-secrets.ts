import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/** The variable the keys reach the notifier's container as (its `secrets`, from this secret's ARN). */
export const SIGNING_KEYS_VARIABLE = 'UNSUBSCRIBE_SIGNING_KEYS';

export interface NotifierSecretsArgs {
  /** Physical name prefix (`peak-<stage>`): the secret is `<prefix>-notifier-unsubscribe-signing-keys`. */
  prefix: string;
  tags?: Record<string, string>;
}

/**
 * The notifier's secrets, created before its service so they can be filled once: today the HMAC keys of the unsubscribe
 * links (UNSUBSCRIBE_SIGNING_KEYS: comma-separated, each ≥ 32 printable characters, the first signs, all verify). Like
 * crm-sync's HubSpot token the secret has no value here: the operator puts it (infra/README.md), so it is in neither
 * the code, the stack config nor the Pulumi state, and the notifier's execution role (its deployment) will be the only
 * reader. Encrypted with the account's aws/secretsmanager key.
 */
export class NotifierSecrets extends pulumi.ComponentResource {
  readonly signingKeys: aws.secretsmanager.Secret;
  readonly signingKeysArn: pulumi.Output<string>;
  readonly signingKeysName: pulumi.Output<string>;

  constructor(name: string, args: NotifierSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('peak:security:NotifierSecrets', name, {}, opts);
    this.signingKeys = new aws.secretsmanager.Secret(
      `${name}-unsubscribe-signing-keys`,
      {
        name: `${args.prefix}-notifier-unsubscribe-signing-keys`,
        description:
          "The notifier's UNSUBSCRIBE_SIGNING_KEYS: HMAC keys of the unsubscribe links, comma-separated, the first signs; put by hand and rotated new-key-first, see infra/README.md",
        tags: { ...(args.tags ?? {}), component: 'notifier-secrets' },
      },
      { parent: this },
    );
    this.signingKeysArn = this.signingKeys.arn;
    this.signingKeysName = this.signingKeys.name;
    this.registerOutputs({ signingKeysArn: this.signingKeysArn, signingKeysName: this.signingKeysName });
  }
}
