import { createRequire } from 'node:module';
import { checkLabels, finiteAt, requireBothClasses, type Label } from './checks.js';
import type { FeatureRow } from './scaler.js';

/**
 * Gradient-boosted trees: trained by XGBoost (the `ml-xgboost` package, XGBoost 0.7x compiled to WebAssembly), read and
 * scored by the pure TypeScript below. Scoring never loads the WebAssembly: a model is its saved bytes, and the reader
 * gives the same margins as XGBoost's own predict (to float precision, tested) plus per-feature contributions.
 */

export type BoostingParams = {
  /** Depth of each tree. */
  maxDepth: number;
  /** Learning rate (XGBoost's eta). */
  eta: number;
  /** Smallest hessian sum in a leaf (XGBoost's min_child_weight): keeps leaves from fitting a handful of members. */
  minChildWeight: number;
  /** Share of rows and of columns each tree sees. */
  subsample: number;
  colsampleByTree: number;
  /** Boosting rounds (= trees). */
  rounds: number;
  /** XGBoost's random seed: the same data, parameters and seed give the same bytes. */
  seed: number;
};

/** Tuned on the 10k- and 50k-member sample worlds (docs/research/churn-gbm.md): a few hundred shallow trees. */
export const DEFAULT_BOOSTING: BoostingParams = { maxDepth: 4, eta: 0.1, minChildWeight: 10, subsample: 0.8, colsampleByTree: 0.8, rounds: 200, seed: 0 };

type XgbWasm = {
  HEAPF32: Float32Array;
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  cwrap(name: string, returns: string | null, args: string[]): (...args: unknown[]) => number;
};
type XgbCalls = {
  wasm: XgbWasm;
  createModel: (x: number, y: number, rows: number, cols: number) => number;
  setParam: (model: number, key: string, value: string) => number;
  train: (model: number, rounds: number) => number;
  saveModel: (model: number) => number;
  fileContent: (pointer: number, size: number) => number;
  free: (model: number) => number;
};

/** What trains the trees, as a model file records it (the installed package's own version). */
export const BOOSTED_TREES_TRAINER = `ml-xgboost ${(createRequire(import.meta.url)('ml-xgboost/package.json') as { version: string }).version} (XGBoost 0.7x, WebAssembly)`;

let loading: Promise<XgbCalls> | undefined;

/** Loads the WebAssembly once, on the first training (scoring processes never pay for it). */
function xgboost(): Promise<XgbCalls> {
  loading ??= (async () => {
    const require = createRequire(import.meta.url);
    const handlersBefore = new Set(process.listeners('uncaughtException'));
    const module = require('ml-xgboost/dist/wasm/xgboost.js') as { isReady: Promise<XgbWasm>; printErr?: (msg: string) => void };
    // The emscripten glue installs an uncaughtException handler that rethrows: it is not ours to keep.
    for (const h of process.listeners('uncaughtException')) if (!handlersBefore.has(h)) process.off('uncaughtException', h);
    // It first tries to fetch() the .wasm as a URL, fails (a file path), says so and loads the file: expected, not news.
    module.printErr = (msg: string) => {
      if (!/wasm streaming compile failed|falling back to ArrayBuffer/.test(msg)) process.stderr.write(`ml-xgboost: ${msg}\n`);
    };
    const wasm = await module.isReady.catch((err: unknown) => {
      loading = undefined; // a failed load is not kept: the next training tries again
      throw new Error(`ml-xgboost's WebAssembly did not load: ${String(err)}`);
    });
    const call = (name: string, args: string[], returns: string | null = 'number') => wasm.cwrap(name, returns, args);
    // The package's own train() passes the data as emscripten 'array' arguments, copied through its 5 MiB stack: it
    // fails above ~52k rows × 25 columns. Here the data goes through malloc'd heap memory instead (same C functions).
    return {
      wasm,
      createModel: call('create_model', ['number', 'number', 'number', 'number']) as XgbCalls['createModel'],
      setParam: call('set_param', ['number', 'string', 'string'], null) as XgbCalls['setParam'],
      train: call('train_full_model', ['number', 'number'], null) as XgbCalls['train'],
      saveModel: call('save_model', ['number']) as XgbCalls['saveModel'],
      fileContent: call('get_file_content', ['number', 'number'], null) as XgbCalls['fileContent'],
      free: call('free_memory_model', ['number'], null) as XgbCalls['free'],
    };
  })();
  return loading;
}

function checkParams(p: BoostingParams): void {
  const bad = (name: string, why: string) => new Error(`trainBoostedTrees: ${name} ${why}`);
  if (!Number.isInteger(p.maxDepth) || p.maxDepth < 1 || p.maxDepth > 12) throw bad('maxDepth', `is ${p.maxDepth}: use an integer from 1 to 12`);
  if (!Number.isInteger(p.rounds) || p.rounds < 1 || p.rounds > 5000) throw bad('rounds', `is ${p.rounds}: use an integer from 1 to 5000`);
  if (!(p.eta > 0 && p.eta <= 1)) throw bad('eta', `is ${p.eta}: use a learning rate in (0, 1]`);
  if (!(p.minChildWeight >= 0 && Number.isFinite(p.minChildWeight))) throw bad('minChildWeight', `is ${p.minChildWeight}: use a finite number ≥ 0`);
  for (const [name, v] of [['subsample', p.subsample], ['colsampleByTree', p.colsampleByTree]] as const) if (!(v > 0 && v <= 1)) throw bad(name, `is ${v}: use a share in (0, 1]`);
  // XGBoost parses the seed as a 32-bit int (and its WebAssembly build cannot catch the exception a larger one throws).
  if (!Number.isInteger(p.seed) || p.seed < 0 || p.seed > 2 ** 31 - 1) throw bad('seed', `is ${p.seed}: use an integer from 0 to 2147483647`);
}

/**
 * Trains a binary:logistic booster on the rows (every value finite; XGBoost sees them as 32-bit floats) and returns its
 * saved model bytes (XGBoost's binary format), which `readBoostedTrees` turns into a scorer.
 */
export async function trainBoostedTrees(x: readonly FeatureRow[], y: readonly Label[], p: BoostingParams = DEFAULT_BOOSTING): Promise<Uint8Array> {
  const rows = x.length;
  if (rows === 0) throw new Error('trainBoostedTrees: no rows: pass at least one churner and one stayer');
  if (y.length !== rows) throw new Error(`trainBoostedTrees: ${rows} rows but ${y.length} labels: give one label per row`);
  requireBothClasses(rows, checkLabels(y, 'trainBoostedTrees'), 'trainBoostedTrees', 'a model');
  checkParams(p);
  const cols = x[0]?.length ?? 0;
  const data = new Float32Array(rows * cols);
  x.forEach((row, i) => {
    if (row.length !== cols) throw new Error(`trainBoostedTrees: row ${i} has ${row.length} values, row 0 has ${cols}: every row needs the same columns`);
    for (let j = 0; j < cols; j++) data[i * cols + j] = finiteAt(row, j, `trainBoostedTrees: row ${i}`);
  });
  const xgb = await xgboost();
  const { wasm } = xgb;
  const px = wasm._malloc(data.byteLength);
  const py = wasm._malloc(rows * 4);
  let model = 0;
  try {
    if (px === 0 || py === 0) throw new Error(`trainBoostedTrees: could not allocate ${Math.round(data.byteLength / 2 ** 20)} MiB in XGBoost's memory`);
    wasm.HEAPF32.set(data, px >> 2); // after malloc: a grown heap replaces the HEAP views
    wasm.HEAPF32.set(Float32Array.from(y), py >> 2);
    model = xgb.createModel(px, py, rows, cols);
    const params: Record<string, string> = {
      booster: 'gbtree', objective: 'binary:logistic', max_depth: String(p.maxDepth), eta: String(p.eta),
      min_child_weight: String(p.minChildWeight), subsample: String(p.subsample), colsample_bytree: String(p.colsampleByTree),
      seed: String(p.seed), silent: '1',
    };
    for (const [k, v] of Object.entries(params)) xgb.setParam(model, k, v);
    xgb.train(model, p.rounds);
    const size = xgb.saveModel(model);
    if (size <= 0) throw new Error('trainBoostedTrees: XGBoost could not save the trained model');
    const out = wasm._malloc(size);
    if (out === 0) throw new Error(`trainBoostedTrees: could not allocate ${size} bytes to save the model`);
    try {
      xgb.fileContent(out, size);
      return wasm.HEAPU8.slice(out, out + size);
    } finally {
      wasm._free(out);
    }
  } catch (err) {
    // emscripten's abort() throws a string; give callers an Error that says where it came from.
    throw err instanceof Error ? err : new Error(`trainBoostedTrees: XGBoost failed: ${String(err)}`);
  } finally {
    if (model !== 0) xgb.free(model);
    wasm._free(px);
    wasm._free(py);
  }
}

type Tree = {
  left: Int32Array;
  right: Int32Array;
  feature: Int32Array;
  defaultLeft: Uint8Array;
  /** A split's threshold, or a leaf's value. */
  value: Float64Array;
  /** Training hessian sum under the node: weights the expected value of a subtree. */
  cover: Float64Array;
  /** Expected margin under each node (cover-weighted mean of its leaves): what the path attribution compares. */
  expected: Float64Array;
};

/** A trained booster as plain arrays: margins and contributions without the WebAssembly. */
export type TreeEnsemble = { baseMargin: number; features: number; trees: Tree[] };

/** The saved bytes are not a model this reader understands. */
export class BoostedTreesFormatError extends Error {
  override name = 'BoostedTreesFormatError';
}

/**
 * Reads XGBoost 0.7x's binary model format (LearnerModelParam, objective, gbtree params, then each tree's params,
 * nodes and node stats, then tree_info), as `ml-xgboost` saves it. Anything else is refused, never half-read.
 */
export function readBoostedTrees(bytes: Uint8Array): TreeEnsemble {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (at: number, n: number, what: string) => {
    if (at + n > b.length) throw new BoostedTreesFormatError(`boosted trees: the model ends inside ${what} (byte ${at} of ${b.length})`);
  };
  need(0, 136, 'the learner header');
  const baseScore = b.readFloatLE(0);
  const features = b.readUInt32LE(4);
  // num_class 0 (one margin per row), no extra attributes: anything else is a model this reader does not know.
  if (b.readInt32LE(8) !== 0 || b.readInt32LE(12) !== 0) throw new BoostedTreesFormatError(`boosted trees: num_class ${b.readInt32LE(8)}, extra attributes ${b.readInt32LE(12)}: only single-output models without attributes are read`);
  let o = 136; // base_score, num_feature, num_class, two flags, 29 reserved ints
  const text = (what: string) => {
    need(o, 8, what);
    const length = Number(b.readBigUInt64LE(o));
    need(o + 8, length, what);
    const s = b.subarray(o + 8, o + 8 + length).toString('latin1');
    o += 8 + length;
    return s;
  };
  const objective = text('the objective name');
  if (objective !== 'binary:logistic') throw new BoostedTreesFormatError(`boosted trees: objective ${JSON.stringify(objective)}, expected "binary:logistic"`);
  const booster = text('the booster name');
  if (booster !== 'gbtree') throw new BoostedTreesFormatError(`boosted trees: booster ${JSON.stringify(booster)}, expected "gbtree"`);
  need(o, 160, 'the gbtree header');
  const count = b.readInt32LE(o);
  if (count < 1 || count > 100_000) throw new BoostedTreesFormatError(`boosted trees: ${count} trees`);
  if (b.readInt32LE(o + 4) !== 1 || b.readInt32LE(o + 24) !== 1 || b.readInt32LE(o + 28) !== 0) {
    throw new BoostedTreesFormatError('boosted trees: only one root, one output group and no leaf vectors are read');
  }
  o += 160; // num_trees, num_roots, num_feature, pad, num_pbuffer (64 bits), num_output_group, size_leaf_vector, 32 reserved
  const trees: Tree[] = [];
  for (let t = 0; t < count; t++) {
    need(o, 148, `tree ${t}'s header`);
    const nodes = b.readInt32LE(o + 4);
    if (nodes < 1 || nodes > 1_000_000) throw new BoostedTreesFormatError(`boosted trees: tree ${t} has ${nodes} nodes`);
    if (b.readInt32LE(o) !== 1 || b.readInt32LE(o + 20) !== 0) throw new BoostedTreesFormatError(`boosted trees: tree ${t} has several roots or leaf vectors`);
    o += 148; // num_roots, num_nodes, num_deleted, max_depth, num_feature, size_leaf_vector, 31 reserved
    need(o, nodes * 36, `tree ${t}'s nodes`);
    const tree: Tree = {
      left: new Int32Array(nodes), right: new Int32Array(nodes), feature: new Int32Array(nodes), defaultLeft: new Uint8Array(nodes),
      value: new Float64Array(nodes), cover: new Float64Array(nodes), expected: new Float64Array(nodes),
    };
    for (let i = 0; i < nodes; i++, o += 20) { // parent, left, right, split index (top bit: default left), value
      tree.left[i] = b.readInt32LE(o + 4);
      tree.right[i] = b.readInt32LE(o + 8);
      const split = b.readUInt32LE(o + 12);
      tree.feature[i] = split & 0x7fffffff;
      tree.defaultLeft[i] = split >>> 31;
      tree.value[i] = b.readFloatLE(o + 16);
    }
    for (let i = 0; i < nodes; i++, o += 16) tree.cover[i] = b.readFloatLE(o + 4); // loss_chg, sum_hess, base_weight, leaf_child_cnt
    checkTree(tree, t, features);
    trees.push(tree);
  }
  if (b.length - o !== 4 * count) throw new BoostedTreesFormatError(`boosted trees: ${b.length - o} bytes after the trees, expected ${4 * count}`);
  for (let t = 0; t < count; t++) if (b.readInt32LE(o + 4 * t) !== 0) throw new BoostedTreesFormatError(`boosted trees: tree ${t} belongs to output group ${b.readInt32LE(o + 4 * t)}`);
  // binary:logistic saves base_score as a margin already (checked against XGBoost's predict in the tests).
  return { baseMargin: baseScore, features, trees };
}

/** Children inside the tree and after their parent (no cycles), split features inside the row, finite numbers. */
function checkTree(t: Tree, index: number, features: number): void {
  const n = t.left.length;
  const bad = (what: string) => new BoostedTreesFormatError(`boosted trees: tree ${index} is damaged: ${what}`);
  for (let i = n - 1; i >= 0; i--) {
    if (!Number.isFinite(t.value[i]!) || !Number.isFinite(t.cover[i]!)) throw bad(`node ${i} holds a number that is not finite`);
    if (t.left[i] === -1) {
      t.expected[i] = t.value[i]!;
      continue;
    }
    const [l, r] = [t.left[i]!, t.right[i]!];
    if (!(l > i && l < n && r > i && r < n)) throw bad(`node ${i}'s children ${l}, ${r} are not later nodes of the tree`);
    if (t.feature[i]! >= features) throw bad(`node ${i} splits on column ${t.feature[i]}, the model has ${features}`);
    const cover = t.cover[l]! + t.cover[r]!;
    t.expected[i] = cover > 0 ? (t.cover[l]! * t.expected[l]! + t.cover[r]! * t.expected[r]!) / cover : (t.expected[l]! + t.expected[r]!) / 2;
  }
}

/**
 * ml-xgboost builds its matrices with -1 as the missing-value marker: XGBoost never sees an exact -1 (or NaN), and such
 * a value takes the split's default branch. The reader must do the same to give XGBoost's predictions.
 */
const MISSING = -1;

/** The child a row goes to: XGBoost compares 32-bit floats; a missing value takes the default branch. */
function childFor(t: Tree, node: number, row: FeatureRow): number {
  const v = Math.fround(row[t.feature[node]!]!);
  if (v !== v || v === MISSING) return t.defaultLeft[node] ? t.left[node]! : t.right[node]!;
  return v < t.value[node]! ? t.left[node]! : t.right[node]!;
}

function checkRow(m: TreeEnsemble, row: FeatureRow): void {
  if (row.length !== m.features) throw new Error(`boosted trees: the row has ${row.length} values, the model was trained on ${m.features}`);
}

/** The booster's logit for one row (sigmoid of it = XGBoost's predicted probability). */
export function treeMargin(m: TreeEnsemble, row: FeatureRow): number {
  checkRow(m, row);
  let sum = m.baseMargin;
  for (const t of m.trees) {
    let i = 0;
    while (t.left[i] !== -1) i = childFor(t, i, row);
    sum += t.value[i]!;
  }
  return sum;
}

/**
 * Per-feature contributions to the row's logit (Saabas' path attribution: each split credits its feature with the
 * change in expected margin along the row's path), then the expected margin last. They sum to `treeMargin`. The
 * expectation weights each leaf by its training hessian (XGBoost's own approximate contributions do the same), so it is
 * the average member as the trees saw them, not a plain mean. Cheap: one walk per tree.
 */
export function treeContributions(m: TreeEnsemble, row: FeatureRow): Float64Array {
  checkRow(m, row);
  const out = new Float64Array(m.features + 1);
  out[m.features] = m.baseMargin;
  for (const t of m.trees) {
    let i = 0;
    out[m.features]! += t.expected[0]!;
    while (t.left[i] !== -1) {
      const c = childFor(t, i, row);
      out[t.feature[i]!]! += t.expected[c]! - t.expected[i]!;
      i = c;
    }
  }
  return out;
}
