import t from 'tap';
import { fitScaler, standardise } from '../../src/ml/index.js';

t.test('mean and population sd per column; standardise subtracts and divides', async (t) => {
  const rows = [
    [1, 10, 0.1],
    [2, 10, 0.1],
    [3, 40, 0.1],
    [4, 40, 0.1],
  ];
  const scaler = fitScaler(rows);
  t.same(scaler.mean, [2.5, 25, 0.1]);
  t.equal(scaler.sd[0], Math.sqrt(1.25), 'population sd of 1..4 is √1.25 (the sample sd would be √(5/3))');
  t.equal(scaler.sd[1], 15);
  t.equal(scaler.sd[2], 1, 'a constant column gets sd 1');
  t.same(Array.from(standardise(scaler, [1, 40, 0.1])), [-1.5 / Math.sqrt(1.25), 1, 0]);
  t.equal(standardise(scaler, [4, 10, 0.1])[2], 0, 'the constant column standardises to 0');
});

t.test('a constant column standardises to exactly 0 even when its mean does not round-trip', async (t) => {
  t.not((0.1 + 0.1 + 0.1) / 3, 0.1, 'premise: the summed mean of three 0.1s is 0.10000000000000002');
  const scaler = fitScaler([[0.1], [0.1], [0.1]]);
  t.same(scaler, { mean: [0.1], sd: [1] });
  t.equal(standardise(scaler, [0.1])[0], 0);
});

t.test('Float64Array rows give the same scaler as plain arrays', async (t) => {
  const plain = [
    [1.5, -2],
    [2.5, 7],
    [9, 0],
  ];
  t.same(fitScaler(plain.map((r) => Float64Array.from(r))), fitScaler(plain));
});

t.test('a value that is not finite is refused, naming the row and the column', async (t) => {
  t.throws(() => fitScaler([[1, 2], [3, Number.NaN]]), { message: /row 1, column 1 is NaN: impute missing values/ });
  t.throws(() => fitScaler([[1, 2], [Number.POSITIVE_INFINITY, 2]]), { message: /row 1, column 0 is Infinity/ });
  const scaler = fitScaler([[1, 2], [3, 4]]);
  t.throws(() => standardise(scaler, [1, Number.NaN]), { message: /column 1 is NaN/ });
});

t.test('shape problems are refused', async (t) => {
  t.throws(() => fitScaler([]), { message: /no rows/ });
  t.throws(() => fitScaler([[1, 2], [3]]), { message: /row 1 has 1 features but row 0 has 2/ });
  t.throws(() => standardise(fitScaler([[1, 2]]), [1, 2, 3]), { message: /3 features but the scaler was fitted on 2/ });
});
