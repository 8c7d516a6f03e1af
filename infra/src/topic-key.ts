import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/** The AWS services that publish to a topic, and the KMS actions that takes (the statement's Sid names them). */
export interface TopicPublishers {
  sid: string;
  services: string | string[];
  actions: string[];
}

export interface TopicKeyArgs {
  topicName: string;
  /** The topic's ARN, known before the topic exists (the topic needs the key first). */
  topicArn: pulumi.Input<string>;
  partition: pulumi.Input<string>;
  account: pulumi.Input<string>;
  description: string;
  publishers: TopicPublishers;
  tags: Record<string, string>;
}

/**
 * A KMS key of an SNS topic's own, with the alias `alias/<topic name>`: AWS services (SES, CloudWatch, Budgets) cannot
 * publish to a topic under the AWS managed aws/sns key, whose policy cannot name them. Its policy: the account
 * administers it through IAM (AWS's default statement, which grants nothing by itself), and the publishers may use it
 * for this topic only (SNS's encryption context). `name` is the key's logical name; the alias's is `<name>-alias`.
 */
export function topicKey(name: string, args: TopicKeyArgs, opts: pulumi.CustomResourceOptions): aws.kms.Key {
  const key = new aws.kms.Key(
    name,
    {
      description: args.description,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: pulumi.jsonStringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'AccountAdministersKeyThroughIam',
            Effect: 'Allow',
            Principal: { AWS: pulumi.interpolate`arn:${args.partition}:iam::${args.account}:root` },
            Action: 'kms:*',
            Resource: '*',
          },
          {
            Sid: args.publishers.sid,
            Effect: 'Allow',
            Principal: { Service: args.publishers.services },
            Action: args.publishers.actions,
            Resource: '*',
            Condition: { StringEquals: { 'kms:EncryptionContext:aws:sns:topicArn': args.topicArn } },
          },
        ],
      }),
      tags: args.tags,
    },
    opts,
  );
  new aws.kms.Alias(`${name}-alias`, { name: `alias/${args.topicName}`, targetKeyId: key.keyId }, opts);
  return key;
}
