import * as aws from '@pulumi/aws';
import type * as dockerBuild from '@pulumi/docker-build';
import * as pulumi from '@pulumi/pulumi';
import { assertImageTag, DEFAULT_UNTAGGED_IMAGE_DAYS, pushedImage, repoRootContext, untaggedImageExpiryPolicy } from './ecr-image.js';
import type { ServiceName } from './service-spec.js';

export { repoRootContext } from './ecr-image.js';

export interface ServiceImagesArgs {
  /** Physical name prefix (`peak-<stage>`): each repository is `<prefix>-<service>`. */
  prefix: string;
  services: readonly ServiceName[];
  /** The tag pushed (config `imageTag`); the task definitions name the pushed digest, so a moved tag still deploys. */
  tag: string;
  /** The build context, the repo root, relative to the working directory (default: computed from this file's location). */
  context?: string;
  untaggedImageDays?: number;
  tags?: Record<string, string>;
}

/** One service's image as a task definition names it. */
export interface ServiceImage {
  /** `<repository url>@sha256:…`: the digest this deploy pushed (a moved tag cannot change what runs). */
  uri: pulumi.Output<string>;
  repositoryArn: pulumi.Output<string>;
  repositoryUrl: pulumi.Output<string>;
}

/**
 * One ECR repository and one image per service, built from `services/<name>/Dockerfile` and pushed on `pulumi up` the
 * way the platform image is (pushedImage in ecr-image.ts: repo root context, linux/amd64, cache in the repository).
 */
export class ServiceImages extends pulumi.ComponentResource {
  readonly repositories: Partial<Record<ServiceName, aws.ecr.Repository>> = {};
  readonly images: Partial<Record<ServiceName, dockerBuild.Image>> = {};

  constructor(name: string, args: ServiceImagesArgs, opts?: pulumi.ComponentResourceOptions) {
    if (new Set(args.services).size !== args.services.length) throw new Error('ServiceImages: a service is listed twice');
    assertImageTag('ServiceImages', args.tag);
    super('peak:compute:ServiceImages', name, {}, opts);
    const parent = { parent: this };
    const context = args.context ?? repoRootContext();
    for (const service of args.services) {
      const tags = { ...(args.tags ?? {}), component: 'service-images', service };
      const repository = new aws.ecr.Repository(
        `${name}-${service}`,
        // Mutable, like the platform repository: `latest` moves; the services run the pushed digest anyway.
        { name: `${args.prefix}-${service}`, imageTagMutability: 'MUTABLE', imageScanningConfiguration: { scanOnPush: true }, tags },
        parent,
      );
      new aws.ecr.LifecyclePolicy(`${name}-${service}-lifecycle`, { repository: repository.name, policy: untaggedImageExpiryPolicy(args.untaggedImageDays ?? DEFAULT_UNTAGGED_IMAGE_DAYS) }, parent);
      this.images[service] = pushedImage(`${name}-${service}-image`, { repository, dockerfile: `services/${service}/Dockerfile`, tag: args.tag, context }, this);
      this.repositories[service] = repository;
    }
    this.registerOutputs({});
  }

  /** What the service's task definition runs: the image pushed by this deploy, by digest. */
  image(service: ServiceName): ServiceImage {
    const repository = this.repositories[service];
    const image = this.images[service];
    if (!repository || !image) throw new Error(`ServiceImages: no image for ${service}`);
    return {
      uri: pulumi.interpolate`${repository.repositoryUrl}@${image.digest}`,
      repositoryArn: repository.arn,
      repositoryUrl: repository.repositoryUrl,
    };
  }
}
