export * from './lake.js';
export * from './errors.js';
export { checkKey, checkPrefix, compareKeys } from './keys.js';
export { FolderLake } from './folder-lake.js';
export { S3Lake } from './s3-lake.js';
export { openLake, parseLakeUri, type LakeLocation } from './open-lake.js';
export * from './batches/batch-id.js';
export * from './batches/registry.js';
export { lakePlugin, type LakePluginOptions } from './fastify.js';
