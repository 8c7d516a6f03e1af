export * from './app.js';
export * from './config.js';
export * from './readiness.js';
export * from './server.js';
export * from './clients/sqs.js';
export * from './clients/redis.js';
export * from './clients/ses.js';
export * from './clients/s3.js';
