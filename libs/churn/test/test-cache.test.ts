import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { TEST_CACHE_ENV, testCacheKey, withTestCache } from '../src/test-cache.js';

/** Points the cache at `root` (or unsets it) for one test, restoring what the run had afterwards. */
function useCache(tt: Test, root: string | undefined) {
  const before = process.env[TEST_CACHE_ENV];
  if (root === undefined) delete process.env[TEST_CACHE_ENV];
  else process.env[TEST_CACHE_ENV] = root;
  tt.teardown(() => {
    if (before === undefined) delete process.env[TEST_CACHE_ENV];
    else process.env[TEST_CACHE_ENV] = before;
  });
}

/** A cache folder and an output folder of the test's own (one testdir: each call of t.testdir() would empty it). */
function dirs(tt: Test) {
  const base = tt.testdir({ cache: {}, out: {} });
  return { root: join(base, 'cache'), out: join(base, 'out') };
}

/** A builder that counts its calls and writes one file and one nested file. */
function counting(label: string) {
  const calls: string[] = [];
  const build = async (dir: string) => {
    calls.push(dir);
    await mkdir(join(dir, 'nested'), { recursive: true });
    await writeFile(join(dir, 'top.txt'), label);
    await writeFile(join(dir, 'nested', 'deep.txt'), `${label} deep`);
    return { label, n: 1, list: [1, 2, { x: null }] };
  };
  return { calls, build };
}

t.test('the key hashes the params whatever their key order', async (t) => {
  t.equal(testCacheKey('lake', { a: 1, b: { c: 2, d: 3 } }), testCacheKey('lake', { b: { d: 3, c: 2 }, a: 1 }));
  t.not(testCacheKey('lake', { a: 1 }), testCacheKey('lake', { a: 2 }));
  t.not(testCacheKey('lake', { a: 1 }), testCacheKey('other', { a: 1 }));
  t.match(testCacheKey('sample-lake', { seed: 9 }), /^sample-lake-[0-9a-f]{20}$/);
});

t.test('two calls with the same key build once; each gets the files and the value', async (t) => {
  const { root, out } = dirs(t);
  useCache(t, root);
  const { calls, build } = counting('one');
  const first = await withTestCache('k', join(out, 'a', 'world'), build);
  const second = await withTestCache('k', join(out, 'b', 'world'), build);
  t.equal(calls.length, 1);
  t.not(calls[0], join(out, 'a', 'world'), 'built in the cache, not in the caller folder');
  t.same(first, { label: 'one', n: 1, list: [1, 2, { x: null }] });
  t.same(second, first);
  for (const side of ['a', 'b']) {
    t.equal(await readFile(join(out, side, 'world', 'top.txt'), 'utf8'), 'one');
    t.equal(await readFile(join(out, side, 'world', 'nested', 'deep.txt'), 'utf8'), 'one deep');
  }
  t.same(await readdir(root), ['k'], 'one entry, no temp folder left');
});

t.test('different keys build separately', async (t) => {
  const { root, out } = dirs(t);
  useCache(t, root);
  const one = counting('one');
  const two = counting('two');
  t.same(await withTestCache('k1', join(out, '1'), one.build), { label: 'one', n: 1, list: [1, 2, { x: null }] });
  t.same(await withTestCache('k2', join(out, '2'), two.build), { label: 'two', n: 1, list: [1, 2, { x: null }] });
  t.equal(one.calls.length, 1);
  t.equal(two.calls.length, 1);
  t.equal(await readFile(join(out, '1', 'top.txt'), 'utf8'), 'one');
  t.equal(await readFile(join(out, '2', 'top.txt'), 'utf8'), 'two');
});

t.test('each caller gets its own copy: writing into one changes neither the other nor the cache', async (t) => {
  const { root, out } = dirs(t);
  useCache(t, root);
  const { calls, build } = counting('one');
  await withTestCache('k', join(out, 'a'), build);
  await withTestCache('k', join(out, 'b'), build);
  await writeFile(join(out, 'a', 'top.txt'), 'changed');
  await writeFile(join(out, 'a', 'nested', 'deep.txt'), 'changed');
  await writeFile(join(out, 'a', 'new.txt'), 'new');
  t.equal(await readFile(join(out, 'b', 'top.txt'), 'utf8'), 'one');
  t.equal(await readFile(join(out, 'b', 'nested', 'deep.txt'), 'utf8'), 'one deep');
  await withTestCache('k', join(out, 'c'), build);
  t.equal(calls.length, 1);
  t.equal(await readFile(join(out, 'c', 'top.txt'), 'utf8'), 'one');
  t.same((await readdir(join(out, 'c'))).sort(), ['nested', 'top.txt']);
});

t.test('concurrent calls in one process build once and both get a complete copy', async (t) => {
  const { root, out } = dirs(t);
  useCache(t, root);
  const { calls, build } = counting('one');
  const slow = async (dir: string) => {
    await new Promise((r) => setTimeout(r, 50));
    return build(dir);
  };
  const [a, b] = await Promise.all([withTestCache('k', join(out, 'a'), slow), withTestCache('k', join(out, 'b'), slow)]);
  t.equal(calls.length, 1);
  t.same(a, b);
  for (const side of ['a', 'b']) t.equal(await readFile(join(out, side, 'nested', 'deep.txt'), 'utf8'), 'one deep');
});

t.test('two processes building the same key at once: one build wins, both get a complete copy of it', async (t) => {
  const { root, out } = dirs(t);
  await mkdir(join(out, 'barrier'), { recursive: true });
  const helper = fileURLToPath(new URL('../src/test-cache.ts', import.meta.url));
  // Each child's builder waits until both have started, so both really build and one rename finds the entry taken.
  const script = `
    const { mkdir, readdir, writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { withTestCache } = await import(${JSON.stringify(helper)});
    const barrier = process.env.BARRIER;
    const value = await withTestCache('k', process.env.OUT_DIR, async (dir) => {
      await writeFile(join(barrier, String(process.pid)), '');
      const deadline = Date.now() + 20000;
      while ((await readdir(barrier)).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await mkdir(join(dir, 'nested'), { recursive: true });
      await writeFile(join(dir, 'top.txt'), String(process.pid));
      await new Promise((r) => setTimeout(r, 100));
      await writeFile(join(dir, 'nested', 'deep.txt'), 'deep ' + process.pid);
      return { builtBy: process.pid };
    });
    console.log(JSON.stringify(value));`;
  const run = (side: string) =>
    new Promise<{ builtBy: number }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        env: { ...process.env, [TEST_CACHE_ENV]: root, OUT_DIR: join(out, side), BARRIER: join(out, 'barrier') },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as { builtBy: number }) : reject(new Error(`child exited ${code}`))));
    });
  const [a, b] = await Promise.all([run('a'), run('b')]);
  t.equal((await readdir(join(out, 'barrier'))).length, 2, 'both processes built');
  t.equal(a.builtBy, b.builtBy, 'both got the same (winning) build');
  for (const side of ['a', 'b']) {
    t.equal(await readFile(join(out, side, 'top.txt'), 'utf8'), String(a.builtBy));
    t.equal(await readFile(join(out, side, 'nested', 'deep.txt'), 'utf8'), `deep ${a.builtBy}`);
  }
  t.same(await readdir(root), ['k'], 'the losing build was discarded');
});

t.test('a result that JSON would change is refused, and nothing is cached', async (t) => {
  const { root, out } = dirs(t);
  useCache(t, root);
  await t.rejects(withTestCache('k', join(out, 'x'), async () => ({ score: Number.NaN })), /does not survive JSON/);
  await t.rejects(withTestCache('k', join(out, 'y'), async () => ({ at: new Date(0) })), /does not survive JSON/);
  t.same(await readdir(root), []);
});

t.test('a failing build leaves nothing behind and the next call builds again', async (t) => {
  const { root, out } = dirs(t);
  useCache(t, root);
  await t.rejects(withTestCache('k', join(out, 'x'), async () => {
    throw new Error('boom');
  }), /boom/);
  t.same(await readdir(root), []);
  const { calls, build } = counting('one');
  await withTestCache('k', join(out, 'y'), build);
  t.equal(calls.length, 1);
});

t.test('without the variable nothing is cached: every call builds straight into its folder', async (t) => {
  const { root: unused, out } = dirs(t);
  useCache(t, undefined);
  const { calls, build } = counting('one');
  const value = await withTestCache('k', join(out, 'a'), build);
  await withTestCache('k', join(out, 'b'), build);
  t.same(calls, [join(out, 'a'), join(out, 'b')]);
  t.same(value, { label: 'one', n: 1, list: [1, 2, { x: null }] });
  t.equal(await readFile(join(out, 'b', 'top.txt'), 'utf8'), 'one');
  t.same(await readdir(unused), []);
});
