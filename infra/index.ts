import { lakeZones, queueList } from '@peak/contracts';
import { loadStackConfig } from './src/config.js';
import { DataLake } from './src/data-lake.js';
import { Queues } from './src/queues.js';

// Wiring only: every concern is a component in src/, fed from the contracts and the stack config.
const config = loadStackConfig();

const queues = new Queues('queues', { prefix: config.prefix, definitions: queueList, tags: config.tags });
const lake = new DataLake('lake', { prefix: config.prefix, zones: lakeZones, forceDestroy: config.forceDestroyLake, tags: config.tags });

export const stage = config.stage;
export const queueUrls = queues.urls;
export const queueArns = queues.arns;
export const deadLetterQueueUrls = queues.dlqUrls;
export const deadLetterQueueArns = queues.dlqArns;
export const lakeBucketName = lake.bucketName;
export const lakeBucketArn = lake.bucketArn;
