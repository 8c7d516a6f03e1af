import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface ImageRepositoryArgs {
  /** Physical name prefix (`peak-<stage>`): the repository is `<prefix>-platform`. */
  prefix: string;
  /** Days an untagged image (a tag moved to a newer push) is kept before ECR deletes it. */
  untaggedImageDays?: number;
  tags?: Record<string, string>;
}

/** Untagged images are the ones a re-pushed tag (`latest`) left behind: nothing runs them, so they go after two weeks. */
export const DEFAULT_UNTAGGED_IMAGE_DAYS = 14;

/**
 * The ECR repository of the platform image: the repo's code with its dependencies, from which the churn jobs (and later
 * the services) run their own command. Its own component, not part of a job's, so every consumer pulls the same image.
 */
export class ImageRepository extends pulumi.ComponentResource {
  readonly repository: aws.ecr.Repository;
  readonly repositoryUrl: pulumi.Output<string>;
  readonly repositoryArn: pulumi.Output<string>;

  constructor(name: string, args: ImageRepositoryArgs, opts?: pulumi.ComponentResourceOptions) {
    super('peak:compute:ImageRepository', name, {}, opts);
    const parent = { parent: this };
    this.repository = new aws.ecr.Repository(
      `${name}-repository`,
      {
        name: `${args.prefix}-platform`,
        // Mutable: `latest` (the default imageTag) moves with every push; pin an immutable tag per deploy in prod.
        imageTagMutability: 'MUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
        tags: { ...(args.tags ?? {}), component: 'image-repository' },
      },
      parent,
    );
    new aws.ecr.LifecyclePolicy(
      `${name}-lifecycle`,
      {
        repository: this.repository.name,
        policy: JSON.stringify({
          rules: [
            {
              rulePriority: 1,
              description: 'Expire images no tag points at any more',
              selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: args.untaggedImageDays ?? DEFAULT_UNTAGGED_IMAGE_DAYS },
              action: { type: 'expire' },
            },
          ],
        }),
      },
      parent,
    );
    this.repositoryUrl = this.repository.repositoryUrl;
    this.repositoryArn = this.repository.arn;
    this.registerOutputs({ repositoryUrl: this.repositoryUrl, repositoryArn: this.repositoryArn });
  }

  /** `<registry>/<repository>:<tag>`, what a task definition names as its image. */
  imageUri(tag: string): pulumi.Output<string> {
    return pulumi.interpolate`${this.repositoryUrl}:${tag}`;
  }
}
