import * as aws from '@pulumi/aws';
import type * as dockerBuild from '@pulumi/docker-build';
import * as pulumi from '@pulumi/pulumi';
import { assertImageTag, DEFAULT_UNTAGGED_IMAGE_DAYS, pushedImage, untaggedImageExpiryPolicy } from './ecr-image.js';

export { DEFAULT_UNTAGGED_IMAGE_DAYS } from './ecr-image.js';

export interface ImageRepositoryArgs {
  /** Physical name prefix (`peak-<stage>`): the repository is `<prefix>-platform`. */
  prefix: string;
  /** The tag pushed (config `imageTag`); the jobs run the pushed digest, so a moved tag changes nothing that runs. */
  tag: string;
  /** The platform image's Dockerfile, relative to the repo root (default: the root `Dockerfile`). */
  dockerfile?: string;
  /** The build context, the repo root, relative to the working directory (default: computed from this file's location). */
  context?: string;
  /** Days an untagged image (a tag moved to a newer push) is kept before ECR deletes it. */
  untaggedImageDays?: number;
  tags?: Record<string, string>;
}

/**
 * The platform image and its ECR repository: the repo's code with its dependencies (the root `Dockerfile`), from which
 * the scheduled jobs run their own command. Built and pushed on `pulumi up` like the services' images (ecr-image.ts).
 * Its own component, not part of a job's, so every job pulls the same image.
 */
export class ImageRepository extends pulumi.ComponentResource {
  readonly repository: aws.ecr.Repository;
  readonly repositoryUrl: pulumi.Output<string>;
  readonly repositoryArn: pulumi.Output<string>;
  readonly image: dockerBuild.Image;
  /** `<repository url>:<tag>@sha256:…`, what a task definition names: the digest this deploy pushed (the tag is for people). */
  readonly imageRef: pulumi.Output<string>;

  constructor(name: string, args: ImageRepositoryArgs, opts?: pulumi.ComponentResourceOptions) {
    assertImageTag('ImageRepository', args.tag);
    super('peak:compute:ImageRepository', name, {}, opts);
    const parent = { parent: this };
    this.repository = new aws.ecr.Repository(
      `${name}-repository`,
      {
        name: `${args.prefix}-platform`,
        // Mutable: `latest` (the default imageTag) moves with every push; the jobs run the pushed digest anyway.
        imageTagMutability: 'MUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
        tags: { ...(args.tags ?? {}), component: 'image-repository' },
      },
      parent,
    );
    new aws.ecr.LifecyclePolicy(`${name}-lifecycle`, { repository: this.repository.name, policy: untaggedImageExpiryPolicy(args.untaggedImageDays ?? DEFAULT_UNTAGGED_IMAGE_DAYS) }, parent);
    this.image = pushedImage(
      `${name}-image`,
      { repository: this.repository, dockerfile: args.dockerfile ?? 'Dockerfile', tag: args.tag, context: args.context },
      this,
    );
    this.repositoryUrl = this.repository.repositoryUrl;
    this.repositoryArn = this.repository.arn;
    this.imageRef = pulumi.interpolate`${this.repositoryUrl}:${args.tag}@${this.image.digest}`;
    this.registerOutputs({ repositoryUrl: this.repositoryUrl, repositoryArn: this.repositoryArn, imageRef: this.imageRef });
  }
}
