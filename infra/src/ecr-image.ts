import * as aws from '@pulumi/aws';
import * as dockerBuild from '@pulumi/docker-build';
import * as pulumi from '@pulumi/pulumi';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * What the platform image's repository (ImageRepository) and the services' (ServiceImages) share: how an image is built
 * from the repo root and pushed to its ECR repository on `pulumi up`, and how long ECR keeps what no tag names.
 */

/** Untagged images are the ones a re-pushed tag (`latest`) left behind: nothing runs them, so they go after two weeks. */
export const DEFAULT_UNTAGGED_IMAGE_DAYS = 14;

/** The lifecycle policy of every image repository: expire untagged images `days` after their push, nothing else. */
export function untaggedImageExpiryPolicy(days: number = DEFAULT_UNTAGGED_IMAGE_DAYS): string {
  return JSON.stringify({
    rules: [
      {
        rulePriority: 1,
        description: 'Expire images no tag points at any more',
        selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: days },
        action: { type: 'expire' },
      },
    ],
  });
}

/** An image tag as Docker and ECR take it (the same rule as config `imageTag`). */
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Throws, naming `owner`, unless `tag` is an image tag: a bad one would otherwise fail only in buildx, mid-deploy. */
export function assertImageTag(owner: string, tag: string): void {
  if (typeof tag !== 'string' || !IMAGE_TAG.test(tag)) throw new Error(`${owner}: tag must be an image tag; got ${JSON.stringify(tag)}`);
}

/**
 * The repo root relative to the working directory, so the state does not record a machine's absolute path (Pulumi runs
 * the program in `infra/`, from where this is `..`).
 */
export function repoRootContext(): string {
  return relative(process.cwd(), fileURLToPath(new URL('../../', import.meta.url))) || '.';
}

export interface PushedImageArgs {
  /** The repository pushed to: the image is tagged `<repository url>:<tag>` and ECR's login is for its registry. */
  repository: aws.ecr.Repository;
  /** The Dockerfile, relative to the repo root: `Dockerfile` (the platform image), `services/<name>/Dockerfile`. */
  dockerfile: string;
  /** The tag pushed (config `imageTag`). */
  tag: string;
  /** The build context, the repo root, relative to the working directory (default: repoRootContext()). */
  context?: string;
}

/**
 * Builds `dockerfile` with the repo root as context (the Dockerfiles copy the workspaces they need) for linux/amd64 (the
 * Fargate tasks are X86_64, and DuckDB's native binding must match) and pushes it to the repository as `<tag>` on
 * `pulumi up`. Needs Docker with buildx where `pulumi` runs; a preview builds too (without pushing), so a broken
 * Dockerfile fails it. Consumers name the image by its `digest` output, so a moved tag never changes what runs.
 */
export function pushedImage(name: string, args: PushedImageArgs, parent: pulumi.Resource): dockerBuild.Image {
  const context = args.context ?? repoRootContext();
  const { repository } = args;
  // A short-lived token (12 h) fetched on every run: nothing stored; the password stays a secret in the state.
  const auth = aws.ecr.getAuthorizationTokenOutput({ registryId: repository.registryId }, { parent });
  const registry = repository.repositoryUrl.apply((url) => url.split('/')[0] ?? url);
  const cacheRef = pulumi.interpolate`${repository.repositoryUrl}:buildcache`;
  return new dockerBuild.Image(
    name,
    {
      context: { location: context },
      dockerfile: { location: `${context}/${args.dockerfile}` },
      platforms: ['linux/amd64'],
      push: true,
      tags: [pulumi.interpolate`${repository.repositoryUrl}:${args.tag}`],
      registries: [{ address: registry, username: auth.userName, password: pulumi.secret(auth.password) }],
      // Layer cache in the repository itself (ECR needs the OCI image-manifest form); a failed cache export does not fail the build.
      cacheFrom: [{ registry: { ref: cacheRef } }],
      cacheTo: [{ registry: { ref: cacheRef, imageManifest: true, ociMediaTypes: true, mode: 'max', ignoreError: true } }],
    },
    { parent },
  );
}
