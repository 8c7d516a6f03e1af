export * from './features.js';
export * from './labels.js';
export * from './encode.js';
export * from './model.js';
export * from './train.js';
export { buildSampleLake, type SampleLake } from './sample-lake.js';
export * from './ml/index.js';
export * from './registry.js';
export * from './score.js';
