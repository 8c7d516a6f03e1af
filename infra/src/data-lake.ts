import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface LakeZoneSpec {
  /** Key prefix of the zone, ending in `/`. */
  prefix: string;
  retentionDays: number;
}

export interface DataLakeArgs {
  /** Name prefix (`peak-<stage>`); Pulumi appends a random suffix because bucket names are global. */
  prefix: string;
  /** Zones and their retention, normally `lakeZones` from @peak/contracts. */
  zones: Record<string, LakeZoneSpec>;
  forceDestroy?: boolean;
  tags?: Record<string, string>;
}

/** The lake bucket: private, TLS only, encrypted, unversioned, each zone expiring after its retention. */
export class DataLake extends pulumi.ComponentResource {
  readonly bucket: aws.s3.Bucket;
  readonly publicAccessBlock: aws.s3.BucketPublicAccessBlock;
  readonly encryption: aws.s3.BucketServerSideEncryptionConfiguration;
  readonly lifecycle: aws.s3.BucketLifecycleConfiguration;
  readonly policy: aws.s3.BucketPolicy;
  readonly bucketName: pulumi.Output<string>;
  readonly bucketArn: pulumi.Output<string>;

  constructor(name: string, args: DataLakeArgs, opts?: pulumi.ComponentResourceOptions) {
    super('peak:storage:DataLake', name, {}, opts);
    const parent = { parent: this };

    // No versioning resource: S3 buckets start unversioned, so lifecycle expiry really deletes (no noncurrent copies to pay for).
    this.bucket = new aws.s3.Bucket(
      `${args.prefix}-lake`,
      { forceDestroy: args.forceDestroy ?? false, tags: { ...(args.tags ?? {}), component: 'data-lake' } },
      parent,
    );

    this.publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      { bucket: this.bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      parent,
    );

    this.encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-sse`,
      // SSE-S3: no KMS key to pay for or grant; Athena and Glue read it without extra permissions.
      { bucket: this.bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }] },
      parent,
    );

    // The bucket's one policy (a second BucketPolicy on it would silently replace this one): refuse any request without
    // TLS, for everyone. Access itself is granted by the roles' IAM policies, not here.
    this.policy = new aws.s3.BucketPolicy(
      `${name}-policy`,
      {
        bucket: this.bucket.id,
        policy: pulumi.jsonStringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'DenyWithoutTls',
              Effect: 'Deny',
              Principal: '*',
              Action: 's3:*',
              Resource: [this.bucket.arn, pulumi.interpolate`${this.bucket.arn}/*`],
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            },
          ],
        }),
      },
      // S3 refuses concurrent changes to one bucket's settings (OperationAborted): after the public access block.
      { parent: this, dependsOn: [this.publicAccessBlock] },
    );

    this.lifecycle = new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket: this.bucket.id,
        rules: Object.entries(args.zones).map(([zone, z]) => ({
          id: `expire-${zone}`,
          status: 'Enabled',
          filter: { prefix: z.prefix },
          expiration: { days: z.retentionDays },
          // Failed multipart uploads are invisible but billed: drop them quickly.
          abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
        })),
      },
      parent,
    );

    this.bucketName = this.bucket.bucket;
    this.bucketArn = this.bucket.arn;
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn });
  }
}
