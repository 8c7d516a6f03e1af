import { batchIdSchema, DATASET_NAMES, isValid } from '@peak/contracts';
import { NewDatasetError, newDatasetErrorCodes } from './errors.js';

/** One dataset name in every spelling the templates need. */
export type DatasetNames = {
  /** `class_feedback`: the dataset, its lake folder, its SQL view and its API path. */
  name: string;
  /** `class-feedback`: file names. */
  kebab: string;
  /** `classFeedback`: the contract constant. */
  camel: string;
  /** `ClassFeedback`: types (`ClassFeedbackRow`). */
  Pascal: string;
  /** `CLASS_FEEDBACK`: constants of the contract (`CLASS_FEEDBACK_KINDS`). */
  CONSTANT: string;
  /** `Class feedback`: titles in docs. */
  title: string;
};

const SNAKE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

/**
 * Names a dataset cannot take: the star schema's prefixes and tables (the sandbox reads `dim_x`/`fact_x` as views
 * of dataset `x`), DuckDB's cached copies, CTE names every metric uses, the ground-truth file, SQL words the two
 * engines reserve, and JavaScript's reserved words (a one-word name is also the contract's constant).
 */
const RESERVED_PREFIXES = ['dim_', 'fact_', 'cached_'];
const RESERVED = new Set([
  'zone_offsets', 'params', 'scope', 'churn_labels',
  'all', 'and', 'as', 'between', 'by', 'case', 'cast', 'create', 'cross', 'cube', 'date', 'default', 'delete', 'describe', 'distinct', 'drop', 'else',
  'end', 'except', 'exists', 'false', 'for', 'from', 'full', 'group', 'having', 'in', 'inner', 'insert', 'intersect', 'interval', 'into', 'is', 'join',
  'left', 'like', 'limit', 'natural', 'not', 'null', 'on', 'or', 'order', 'outer', 'range', 'right', 'rollup', 'rows', 'select', 'show', 'table',
  'then', 'time', 'timestamp', 'true', 'union', 'unnest', 'update', 'user', 'using', 'values', 'view', 'when', 'where', 'window', 'with',
  'await', 'break', 'catch', 'class', 'const', 'continue', 'debugger', 'do', 'enum', 'export', 'extends', 'finally', 'function', 'if', 'import',
  'instanceof', 'let', 'new', 'return', 'static', 'super', 'switch', 'this', 'throw', 'try', 'typeof', 'var', 'void', 'while', 'yield',
]);

/** The spellings of a valid name; refuses anything that would break a file name, an SQL identifier, an API path or a batch id. */
export function datasetNames(input: string): DatasetNames {
  const shown = JSON.stringify(input.slice(0, 80));
  if (!SNAKE.test(input)) {
    throw new NewDatasetError(
      `a dataset name is lower-case snake_case: a letter, then letters, digits and single underscores (e.g. class_feedback); got ${shown}`,
      newDatasetErrorCodes.badName,
    );
  }
  // Ingest names batches `<UTC time>-<dataset>-<8 hex>`, and the contracts cap a batch id at 64 characters.
  if (!isValid(batchIdSchema, `20261125T090102123Z-${input}-1a2b3c4d`)) {
    throw new NewDatasetError(`${shown} is too long: batch ids name the dataset and may not pass 64 characters, so at most 35`, newDatasetErrorCodes.badName);
  }
  const prefix = RESERVED_PREFIXES.find((p) => input.startsWith(p));
  if (prefix || RESERVED.has(input)) {
    const why = prefix ? `names starting with ${prefix} are the star schema's views and caches` : 'it is an SQL or JavaScript keyword, or a name the analytics SQL already uses';
    throw new NewDatasetError(`${shown} cannot be a dataset name: ${why}; choose another`, newDatasetErrorCodes.badName);
  }
  if ((DATASET_NAMES as readonly string[]).includes(input)) {
    throw new NewDatasetError(`dataset ${input} already exists (the datasets are ${DATASET_NAMES.join(', ')}); choose a new name`, newDatasetErrorCodes.datasetExists);
  }
  const words = input.split('_');
  const cap = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);
  return {
    name: input,
    kebab: words.join('-'),
    camel: words[0] + words.slice(1).map(cap).join(''),
    Pascal: words.map(cap).join(''),
    CONSTANT: input.toUpperCase(),
    title: cap(words.join(' ')),
  };
}
