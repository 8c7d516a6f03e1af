import { performance } from 'node:perf_hooks';
import t from 'tap';
import { RATE_WINDOW_MARGIN_MS, SendPacer } from '../src/sender/pacer.js';

t.test('the gate: never more than ⌊rate⌋ calls start in any second, first come first served', async (t) => {
  const pacer = new SendPacer(5);
  t.teardown(() => pacer.stop());
  const t0 = performance.now();
  const order: number[] = [];
  const starts = await Promise.all(
    Array.from({ length: 12 }, (_, i) =>
      pacer.startCall().then(() => {
        order.push(i);
        return performance.now() - t0;
      }),
    ),
  );
  t.same(order, [...order].sort((a, b) => a - b), 'in the order they asked');
  const sorted = [...starts].sort((a, b) => a - b);
  for (let i = 5; i < sorted.length; i++) {
    t.ok((sorted[i] as number) - (sorted[i - 5] as number) >= 1000, `call ${i + 1} starts at least a second after call ${i - 4}`);
  }
  t.ok((sorted[10] as number) >= 2 * (1000 + RATE_WINDOW_MARGIN_MS) - 5, 'the 11th waited for two full windows');
});

t.test('setRate and pauses', async (t) => {
  let now = 1_000;
  const pacer = new SendPacer(2, () => now);
  t.teardown(() => pacer.stop());
  pacer.setRate(0);
  t.equal(pacer.ratePerSecond, 2, 'a rate of 0 is ignored');
  pacer.setRate(7.5);
  t.equal(pacer.ratePerSecond, 7.5);
  let paused = 0;
  pacer.on('paused', () => paused++);
  pacer.pause(60_000, 'daily_quota', 'Daily message quota exceeded.');
  pacer.pause(30_000, 'daily_quota', 'again, shorter');
  t.equal(paused, 1, 'a shorter pause inside a longer one changes nothing');
  t.equal(pacer.pausedUntilMs, 61_000);
  now = 61_001;
  t.equal(pacer.pausedUntilMs, 0, 'over');
  t.throws(() => new SendPacer(0), /above 0/);
});
