export * from './plan/reason-codes.js';
export * from './plan/build-plan.js';
export { renderWith, RELATIONS, type Dialect, type RenderOptions, type RenderedPlan } from './plan/render-sql.js';
export * from './plan/render-duckdb.js';
export * from './plan/render-spark.js';
export * from './executors/duckdb.js';
export { InputError, type InputFormat, type Compression } from './executors/read-input.js';
export { locateRecords, type LocatedRecord, type WantedRecords } from './executors/locate-records.js';
