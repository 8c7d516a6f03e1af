import * as aws from '@pulumi/aws';
import * as dockerBuild from '@pulumi/docker-build';
import * as pulumi from '@pulumi/pulumi';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_UNTAGGED_IMAGE_DAYS } from './image-repository.js';
import type { ServiceName } from './service-spec.js';

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
 * The repo root relative to the working directory, so the state does not record a machine's absolute path (Pulumi runs
 * the program in `infra/`, from where this is `..`).
 */
export function repoRootContext(): string {
  return relative(process.cwd(), fileURLToPath(new URL('../../', import.meta.url))) || '.';
}

/**
 * One ECR repository and one image per service, built from `services/<name>/Dockerfile` with the repo root as context
 * (the Dockerfiles copy the workspaces they need) for linux/amd64 (the tasks are X86_64), and pushed on `pulumi up`.
 * Needs Docker with buildx where `pulumi` runs; a preview builds too (without pushing), so a broken Dockerfile fails it.
 */
export class ServiceImages extends pulumi.ComponentResource {
  readonly repositories: Partial<Record<ServiceName, aws.ecr.Repository>> = {};
  readonly images: Partial<Record<ServiceName, dockerBuild.Image>> = {};

  constructor(name: string, args: ServiceImagesArgs, opts?: pulumi.ComponentResourceOptions) {
    if (new Set(args.services).size !== args.services.length) throw new Error('ServiceImages: a service is listed twice');
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(args.tag)) throw new Error(`ServiceImages: tag must be an image tag; got ${JSON.stringify(args.tag)}`);
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
      new aws.ecr.LifecyclePolicy(
        `${name}-${service}-lifecycle`,
        {
          repository: repository.name,
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
      // A short-lived token (12 h) fetched on every run: nothing stored; the password stays a secret in the state.
      const auth = aws.ecr.getAuthorizationTokenOutput({ registryId: repository.registryId }, { parent: this });
      const registry = repository.repositoryUrl.apply((url) => url.split('/')[0] ?? url);
      const cacheRef = pulumi.interpolate`${repository.repositoryUrl}:buildcache`;
      this.images[service] = new dockerBuild.Image(
        `${name}-${service}-image`,
        {
          context: { location: context },
          dockerfile: { location: `${context}/services/${service}/Dockerfile` },
          platforms: ['linux/amd64'],
          push: true,
          tags: [pulumi.interpolate`${repository.repositoryUrl}:${args.tag}`],
          registries: [{ address: registry, username: auth.userName, password: pulumi.secret(auth.password) }],
          // Layer cache in the repository itself (ECR needs the OCI image-manifest form); a failed cache export does not fail the build.
          cacheFrom: [{ registry: { ref: cacheRef } }],
          cacheTo: [{ registry: { ref: cacheRef, imageManifest: true, ociMediaTypes: true, mode: 'max', ignoreError: true } }],
        },
        parent,
      );
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
