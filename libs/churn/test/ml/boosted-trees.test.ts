import { createRequire } from 'node:module';
import t from 'tap';
import {
  BoostedTreesFormatError, DEFAULT_BOOSTING, readBoostedTrees, rocAuc, trainBoostedTrees, treeContributions, treeMargin, type Label,
} from '../../src/ml/index.js';
import { bernoulli, gaussian, mulberry32, plainSigmoid } from './random.js';

/** Rows from a known logistic model: the true probability is known, so the best possible AUC is too. */
function logisticWorld(n: number, seed: number, columns = 8) {
  const rng = mulberry32(seed);
  const beta = [1.2, -0.8, 0.6, 0, 0.4, -1, 0, 0.3].slice(0, columns);
  const x = Array.from({ length: n }, () => Float64Array.from({ length: columns }, () => gaussian(rng)));
  const p = x.map((r) => plainSigmoid(-2 + r.reduce((s, v, j) => s + v * (beta[j] ?? 0), 0)));
  const y = p.map((q) => bernoulli(rng, q));
  return { x, y, p };
}

const quick = { ...DEFAULT_BOOSTING, rounds: 60 };

t.test('XGBoost learns a known model: its ROC AUC on fresh rows is close to the best possible', async (t) => {
  const train = logisticWorld(6000, 1);
  const test = logisticWorld(6000, 2);
  const handlers = process.listeners('uncaughtException').length;
  const trees = readBoostedTrees(await trainBoostedTrees(train.x, train.y, quick)); // the first call loads the WebAssembly
  t.equal(process.listeners('uncaughtException').length, handlers, "loading XGBoost leaves the process's uncaught-error handling alone");
  const auc = rocAuc(test.x.map((r) => plainSigmoid(treeMargin(trees, r))), test.y);
  const best = rocAuc(test.p, test.y);
  t.ok(best - auc < 0.02, `ROC AUC ${auc.toFixed(4)} vs ${best.toFixed(4)} from the true probabilities`);
  t.equal(trees.trees.length, quick.rounds, 'one tree per round');
  t.equal(trees.features, 8);
});

t.test("the TypeScript reader gives XGBoost's own predictions", async (t) => {
  const { x, y } = logisticWorld(3000, 3);
  const bytes = await trainBoostedTrees(x, y, quick);
  const trees = readBoostedTrees(bytes);
  // ml-xgboost's own class, loaded from the same saved bytes, predicts through the WebAssembly.
  const XGBoost = (await (createRequire(import.meta.url)('ml-xgboost') as Promise<{ load(m: unknown): { predict(x: number[][]): number[]; free(): void } }>));
  const booster = XGBoost.load({ name: 'ml-xgboost', model: Array.from(bytes), options: {} });
  t.teardown(() => booster.free());
  const sample = x.slice(0, 500);
  const wasm = booster.predict(sample.map((r) => Array.from(r)));
  const diff = Math.max(...sample.map((r, i) => Math.abs(plainSigmoid(treeMargin(trees, r)) - (wasm[i] as number))));
  t.ok(diff < 1e-5, `largest difference ${diff.toExponential(2)} (XGBoost predicts in 32-bit floats)`);

  // ml-xgboost marks missing values with -1: a column that takes -1, 0 and 1 must still score as XGBoost does.
  const rng = mulberry32(8);
  const signed = x.map((r) => Float64Array.from([...r, Math.floor(rng() * 3) - 1]));
  const ySigned = signed.map((r, i): Label => (r[8] === -1 ? bernoulli(rng, 0.8) : y[i]!));
  const signedBytes = await trainBoostedTrees(signed, ySigned, quick);
  const signedTrees = readBoostedTrees(signedBytes);
  const signedBooster = XGBoost.load({ name: 'ml-xgboost', model: Array.from(signedBytes), options: {} });
  t.teardown(() => signedBooster.free());
  const minusOnes = signed.filter((r) => r[8] === -1).slice(0, 300);
  t.ok(minusOnes.length > 100, `${minusOnes.length} rows with -1`);
  const signedWasm = signedBooster.predict(minusOnes.map((r) => Array.from(r)));
  const signedDiff = Math.max(...minusOnes.map((r, i) => Math.abs(plainSigmoid(treeMargin(signedTrees, r)) - (signedWasm[i] as number))));
  t.ok(signedDiff < 1e-5, `rows with -1 (XGBoost's missing marker): largest difference ${signedDiff.toExponential(2)}`);
});

t.test('contributions add up to the margin; a column that never varies gets none', async (t) => {
  const { x, y } = logisticWorld(3000, 4);
  const withConstant = x.map((r) => Float64Array.from([...r, 7]));
  const trees = readBoostedTrees(await trainBoostedTrees(withConstant, y, quick));
  for (const r of withConstant.slice(0, 200)) {
    const parts = treeContributions(trees, r);
    const sum = parts.reduce((s, v) => s + v, 0);
    if (Math.abs(sum - treeMargin(trees, r)) > 1e-9) t.fail(`contributions sum to ${sum}, margin ${treeMargin(trees, r)}`);
    if (parts[8] !== 0) t.fail(`the constant column got ${parts[8]}`);
  }
  // The strongest true effects (columns 0 and 5) carry the most weight on average.
  const mean = new Float64Array(9);
  for (const r of withConstant) treeContributions(trees, r).slice(0, 9).forEach((v, j) => (mean[j]! += Math.abs(v) / withConstant.length));
  const order = [...mean.keys()].sort((a, b) => mean[b]! - mean[a]!);
  t.same(order.slice(0, 2).sort(), [0, 5], `mean |contribution| per column: ${[...mean].map((v) => v.toFixed(3)).join(' ')}`);
});

t.test('the same data, parameters and seed give the same bytes; another seed, other trees', async (t) => {
  const { x, y } = logisticWorld(2000, 5);
  const a = await trainBoostedTrees(x, y, { ...quick, rounds: 20 });
  const b = await trainBoostedTrees(x, y, { ...quick, rounds: 20 });
  const c = await trainBoostedTrees(x, y, { ...quick, rounds: 20, seed: 1 });
  t.ok(Buffer.from(a).equals(Buffer.from(b)), 'same bytes');
  t.notOk(Buffer.from(a).equals(Buffer.from(c)), 'a different seed subsamples differently');
});

t.test("more rows than ml-xgboost's own train() can take (its 5 MiB stack copy): trained through the heap", async (t) => {
  const rng = mulberry32(6);
  const n = 60_000; // × 25 columns × 4 bytes = 6 MB, past the 5,242,880-byte stack
  const x = Array.from({ length: n }, () => Float64Array.from({ length: 25 }, () => gaussian(rng)));
  const y = x.map((r): Label => bernoulli(rng, plainSigmoid(2 * r[0]! - 1)));
  const trees = readBoostedTrees(await trainBoostedTrees(x, y, { ...quick, rounds: 3 }));
  t.equal(trees.trees.length, 3);
  t.ok(rocAuc(x.slice(0, 5000).map((r) => plainSigmoid(treeMargin(trees, r))), y.slice(0, 5000)) > 0.8, 'and it learned the signal');
});

t.test('bad input is refused with what to fix', async (t) => {
  const { x, y } = logisticWorld(200, 7);
  await t.rejects(trainBoostedTrees([], []), /no rows/);
  await t.rejects(trainBoostedTrees(x, y.slice(1)), /200 rows but 199 labels/);
  await t.rejects(trainBoostedTrees(x, y.map(() => 0 as Label)), /all 200 labels are 0: a model needs both churners and stayers/);
  const holed = x.map((r, i) => (i === 17 ? Float64Array.from([...r].map((v, j) => (j === 3 ? Number.NaN : v))) : r));
  await t.rejects(trainBoostedTrees(holed, y), /row 17, column 3 is NaN: impute missing values/);
  await t.rejects(trainBoostedTrees([x[0]!, x[1]!.slice(1)], [0, 1]), /row 1 has 7 values, row 0 has 8/);
  await t.rejects(trainBoostedTrees(x, y, { ...quick, maxDepth: 0 }), /maxDepth is 0: use an integer from 1 to 12/);
  await t.rejects(trainBoostedTrees(x, y, { ...quick, eta: 0 }), /eta is 0/);
  await t.rejects(trainBoostedTrees(x, y, { ...quick, subsample: 1.5 }), /subsample is 1.5: use a share in \(0, 1\]/);
  await t.rejects(trainBoostedTrees(x, y, { ...quick, seed: 2 ** 31 }), /seed is 2147483648: use an integer from 0 to 2147483647/);

  const bytes = await trainBoostedTrees(x, y, { ...quick, rounds: 5 });
  const trees = readBoostedTrees(bytes);
  t.throws(() => treeMargin(trees, new Float64Array(3)), /the row has 3 values, the model was trained on 8/);
  t.throws(() => readBoostedTrees(bytes.slice(0, 100)), BoostedTreesFormatError);
  t.throws(() => readBoostedTrees(bytes.slice(0, bytes.length - 30)), /boosted trees: the model ends inside|bytes after the trees/);
  t.throws(() => readBoostedTrees(Buffer.concat([bytes, Buffer.alloc(4)])), /bytes after the trees, expected 20/);
  t.throws(() => readBoostedTrees(new TextEncoder().encode('{"name": "ml-xgboost"}'.padEnd(400, ' '))), BoostedTreesFormatError);
  // A split pointing back up the tree (a cycle) or at a column the model does not have is refused, not walked.
  const cyclic = Buffer.from(bytes);
  const firstNode = findFirstNodeOffset(cyclic);
  cyclic.writeInt32LE(0, firstNode + 4);
  t.throws(() => readBoostedTrees(cyclic), /tree 0 is damaged: node 0's children 0, \d+ are not later nodes/);
  const twoOutputs = Buffer.from(bytes);
  twoOutputs.writeInt32LE(2, 8); // num_class
  t.throws(() => readBoostedTrees(twoOutputs), /num_class 2, extra attributes 0: only single-output models/);
  const wide = Buffer.from(bytes);
  wide.writeUInt32LE(((wide.readUInt32LE(firstNode + 12) & 0x80000000) | 99) >>> 0, firstNode + 12);
  t.throws(() => readBoostedTrees(wide), /node 0 splits on column 99, the model has 8/);
});

/** Where tree 0's first node starts in XGBoost 0.7x's format (header 136, two strings, gbtree params 160, tree params 148). */
function findFirstNodeOffset(b: Buffer): number {
  let o = 136;
  for (let s = 0; s < 2; s++) o += 8 + Number(b.readBigUInt64LE(o));
  return o + 160 + 148;
}
