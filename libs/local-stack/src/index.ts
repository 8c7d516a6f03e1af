export * from './aws-local.js';
export * from './ports.js';
export * from './sqs-emulator.js';
export * from './ses-emulator.js';
export * from './redis-server.js';
export * from './dynamodb-local.js';
