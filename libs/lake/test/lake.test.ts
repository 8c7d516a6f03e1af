/** One suite, two lakes: a folder (tap testdir) and S3 (fauxqs, through the AWS SDK, under a key prefix). */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import { localClients, useSqsEmulator } from '@peak/service-kit/testing';
import { FolderLake, InvalidLakeKeyError, listAllKeys, S3Lake, type Lake } from '@peak/lake';

const BUCKET = 'lake-test';
const emu = await useSqsEmulator(t, { buckets: [BUCKET], queues: [] });
const s3 = localClients.s3(t, emu.endpoint);
let prefixes = 0;

const implementations: [string, (testdir: string) => Lake][] = [
  ['folder lake', (testdir) => new FolderLake(join(testdir, 'lake'))],
  ['S3 lake (fauxqs, bucket + prefix)', () => new S3Lake(s3, BUCKET, `suite-${++prefixes}/`)],
];

const MiB = 1024 * 1024;
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** `total` deterministic pseudo-random bytes in 64 KiB chunks, erroring after `failAfter` bytes if given. */
function body(total: number, failAfter?: number): Readable & { sha256: () => string } {
  const hash = createHash('sha256');
  let digest: string | undefined;
  const stream = Readable.from(
    (function* () {
      let seed = 7;
      for (let sent = 0; sent < total; ) {
        if (failAfter !== undefined && sent >= failAfter) throw new Error('the client went away');
        const words = Buffer.alloc(64 * 1024);
        for (let i = 0; i < words.length; i += 4) words.writeUInt32LE((seed = (seed * 1103515245 + 12345) >>> 0), i);
        const chunk = words.subarray(0, Math.min(words.length, total - sent));
        hash.update(chunk);
        sent += chunk.length;
        yield chunk;
      }
    })(),
  );
  return Object.assign(stream, { sha256: () => (digest ??= hash.digest('hex')) });
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

for (const [name, open] of implementations) {
  t.test(name, async (t) => {
    t.test('small objects: put, get, head, stream; a missing key reads as undefined, never as an error', async (t) => {
      const dir = t.testdir();
      const lake = open(dir);
      t.equal(await lake.putBytes('raw/members/a.csv', 'id\n1\n'), true, 'putBytes says it wrote');
      t.equal((await lake.getBytes('raw/members/a.csv'))?.toString(), 'id\n1\n');
      t.match(await lake.head('raw/members/a.csv'), { bytes: 5, lastModified: Date });
      t.equal((await readAll((await lake.getStream('raw/members/a.csv')) as Readable)).toString(), 'id\n1\n');
      await lake.putBytes('raw/members/a.csv', 'id\n2\n');
      t.equal((await lake.getBytes('raw/members/a.csv'))?.toString(), 'id\n2\n', 'a plain put replaces');
      for (const key of ['raw/members/missing.csv', 'nowhere/at/all', 'raw/members', 'raw/members/a.csv/below']) {
        t.equal(await lake.getBytes(key), undefined, `getBytes ${key}`);
        t.equal(await lake.head(key), undefined, `head ${key}`);
        t.equal(await lake.getStream(key), undefined, `getStream ${key}`);
        t.equal(await lake.getToFile(key, join(dir, 'out')), undefined, `getToFile ${key}`);
        t.equal(await lake.copy(key, 'copied/x'), false, `copy from ${key}`);
      }
      await lake.delete('raw/members/missing.csv');
      t.pass('deleting a missing key is not an error');
    });

    t.test('putBytes ifAbsent: creates once and never overwrites; of 8 racing creates exactly one wins', async (t) => {
      const dir = t.testdir();
      const lake = open(dir);
      t.equal(await lake.putBytes('batches/by-sha256/x', 'first', { ifAbsent: true }), true, 'created');
      t.equal(await lake.putBytes('batches/by-sha256/x', 'second', { ifAbsent: true }), false, 'already there');
      t.equal((await lake.getBytes('batches/by-sha256/x'))?.toString(), 'first', 'untouched');
      const racers = Array.from({ length: 8 }, (_, i) => `racer ${i}`);
      const won = await Promise.all(racers.map((r) => lake.putBytes('batches/by-sha256/raced', r, { ifAbsent: true })));
      t.equal(won.filter(Boolean).length, 1, 'exactly one true');
      t.equal((await lake.getBytes('batches/by-sha256/raced'))?.toString(), racers[won.indexOf(true)], 'the winner holds the key');
    });

    t.test('putStream: a 12 MiB body (several S3 parts) lands byte-identical', async (t) => {
      const dir = t.testdir();
      const lake = open(dir);
      const upload = body(12 * MiB + 123);
      t.same(await lake.putStream('raw/attendance/dt=2026-01-05/big.csv', upload), { bytes: 12 * MiB + 123 });
      const stored = await readAll((await lake.getStream('raw/attendance/dt=2026-01-05/big.csv')) as Readable);
      t.equal(stored.length, 12 * MiB + 123, 'same size');
      t.equal(sha256(stored), upload.sha256(), 'same bytes');
      const local = join(dir, 'copy.csv');
      t.same(await lake.getToFile('raw/attendance/dt=2026-01-05/big.csv', local), { bytes: 12 * MiB + 123 });
      t.equal(sha256(await readFile(local)), upload.sha256(), 'getToFile writes the same bytes');
    });

    t.test('putStream of a body that fails part-way writes nothing, not even a partial object', async (t) => {
      const dir = t.testdir();
      const lake = open(dir);
      await t.rejects(lake.putStream('raw/members/broken.csv', body(12 * MiB, 7 * MiB)), /the client went away/);
      t.equal(await lake.head('raw/members/broken.csv'), undefined, 'no object');
      t.same((await lake.list('raw/')).items, [], 'nothing listed (no temp file either)');
      await t.rejects(lake.putStream('raw/members/empty-then-broken.csv', body(10, 0)), /the client went away/);
      t.equal(await lake.head('raw/members/empty-then-broken.csv'), undefined, 'failing at once: no object');
    });

    t.test('putFile, copy, delete, deletePrefix', async (t) => {
      const dir = t.testdir();
      const lake = open(dir);
      const file = join(dir, 'export.ndjson');
      await writeFile(file, '{"a":1}\n');
      t.same(await lake.putFile('raw/engagement/e.ndjson', file), { bytes: 8 });
      t.equal(await lake.copy('raw/engagement/e.ndjson', 'raw/engagement/copy of e.ndjson'), true, 'copy (a key with a space)');
      t.equal((await lake.getBytes('raw/engagement/copy of e.ndjson'))?.toString(), '{"a":1}\n');
      await lake.delete('raw/engagement/e.ndjson');
      t.equal(await lake.head('raw/engagement/e.ndjson'), undefined, 'deleted');
      for (let i = 0; i < 5; i++) await lake.putBytes(`processed/members/dt=2026-01-0${i}/p.parquet`, 'x');
      await lake.putBytes('processed/membersX/keep', 'x');
      t.equal(await lake.deletePrefix('processed/members/'), 5, 'deletePrefix says how many');
      t.same((await lake.list('processed/')).items.map((i) => i.key), ['processed/membersX/keep'], 'only what is under the prefix went');
      await t.rejects(lake.deletePrefix(''), InvalidLakeKeyError, 'refuses to delete the whole lake');
    });

    t.test('list: S3 byte order, prefix filter, paging with startAfter and next', async (t) => {
      const dir = t.testdir();
      const lake = open(dir);
      const keys = ['k/ab', 'k/a_b', 'k/aB', 'k/a-b', 'k/a/b', 'k/a/c/d', 'k/é', 'k/z', 'k/A', 'kz', 'other'];
      for (const key of keys) await lake.putBytes(key, key);
      const inOrder = ['k/A', 'k/a-b', 'k/a/b', 'k/a/c/d', 'k/aB', 'k/a_b', 'k/ab', 'k/z', 'k/é'];
      t.same((await lake.list('k/')).items, inOrder.map((key) => ({ key, bytes: Buffer.byteLength(key) })), 'one call, with sizes');
      t.same((await lake.list('k/a')).items.map((i) => i.key), inOrder.slice(1, 7), 'a prefix that ends inside a name');
      t.same((await lake.list('k')).items.map((i) => i.key), [...inOrder, 'kz'], 'a prefix without a slash');
      t.same((await lake.list('nothing/')).items, [], 'an empty listing');
      const seen: string[] = [];
      let next: string | undefined;
      let pages = 0;
      do {
        const page = await lake.list('k/', { startAfter: next, limit: 2 });
        t.ok(page.items.length <= 2, 'a page holds at most limit items');
        seen.push(...page.items.map((i) => i.key));
        next = page.next;
        pages++;
      } while (next !== undefined);
      t.same(seen, inOrder, 'pages of 2 cover every key once, in order');
      t.equal(pages, 5, '9 keys in pages of 2: 5 pages, the last without next');
      t.same((await lake.list('k/', { startAfter: 'k/a/' })).items.map((i) => i.key), inOrder.slice(2), 'startAfter between keys');
      t.same((await lake.list('k/', { startAfter: 'k/a/c/d' })).items.map((i) => i.key), inOrder.slice(4), 'startAfter deep in a folder');
      t.same((await lake.list('k/', { limit: 9 })).next, undefined, 'no next when exactly everything fits');
      t.same(await listAllKeys(lake, 'k/', 2), inOrder, 'listAllKeys: every key, in order, across pages');
      t.same(await listAllKeys(lake, 'nothing/'), [], 'listAllKeys of an empty prefix');
    });

    t.test('hostile keys are refused before anything is read or written', async (t) => {
      const dir = t.testdir();
      const lake = open(dir);
      const hostile = ['../escape', 'raw/../../escape', '/etc/passwd', 'raw\\..\\x', 'raw/a\u0000b', '', 'raw//x', './raw', 'raw/./x', 'raw/', '.lake-tmp-1', 'x'.repeat(1025)];
      for (const key of hostile) {
        const label = JSON.stringify(key.slice(0, 20));
        await t.rejects(lake.putBytes(key, 'x'), InvalidLakeKeyError, `putBytes ${label}`);
        await t.rejects(lake.putStream(key, Readable.from(['x'])), InvalidLakeKeyError, `putStream ${label}`);
        await t.rejects(lake.getBytes(key), InvalidLakeKeyError, `getBytes ${label}`);
        await t.rejects(lake.head(key), InvalidLakeKeyError, `head ${label}`);
        await t.rejects(lake.delete(key), InvalidLakeKeyError, `delete ${label}`);
        await t.rejects(lake.copy('raw/x', key), InvalidLakeKeyError, `copy to ${label}`);
      }
      for (const prefix of ['../', '/abs', 'a//', 'a\u0000']) await t.rejects(lake.list(prefix), InvalidLakeKeyError, `list ${JSON.stringify(prefix)}`);
      t.same((await lake.list('')).items, [], 'nothing was written');
    });
  });
}

t.test('folder lake: files live where their keys say, temp files never show, nothing escapes the folder', async (t) => {
  const root = join(t.testdir(), 'lake');
  const lake = new FolderLake(root);
  await lake.putBytes('raw/members/dt=2026-01-05/b.csv', 'id\n');
  t.equal(lake.localPath('raw/members/dt=2026-01-05/b.csv'), join(root, 'raw/members/dt=2026-01-05/b.csv'));
  t.equal(await readFile(join(root, 'raw/members/dt=2026-01-05/b.csv'), 'utf8'), 'id\n', 'a plain file');
  t.same(await readdir(join(root, 'raw/members/dt=2026-01-05')), ['b.csv'], 'no temp file left behind');
  await writeFile(join(root, 'raw/members/dt=2026-01-05/.lake-tmp-crashed'), 'half a fi');
  t.same((await lake.list('raw/')).items.map((i) => i.key), ['raw/members/dt=2026-01-05/b.csv'], "a crashed write's temp file is not an object");
  await lake.putBytes('evil/x', 'x').catch(() => undefined);
  await lake.putBytes('../evil', 'x').catch(() => undefined);
  t.notOk(existsSync(join(dirname(root), 'evil')), 'no file outside the lake folder');
  t.equal(lake.describe(), `file://${root}`);
});

t.test('S3 lake: keys live under the prefix in the bucket', async (t) => {
  const lake = new S3Lake(s3, BUCKET, 'v1/');
  await lake.putBytes('batches/x.json', '{}');
  const plain = new S3Lake(s3, BUCKET);
  t.equal((await plain.getBytes('v1/batches/x.json'))?.toString(), '{}', 'the object key is prefix + key');
  t.same((await lake.list('batches/')).items, [{ key: 'batches/x.json', bytes: 2 }], 'listed without the prefix');
  t.equal(lake.describe(), `s3://${BUCKET}/v1/`);
  t.equal(lake.localPath(), undefined, 'no local file');
  const gone = new S3Lake(s3, 'no-such-bucket');
  await t.rejects(gone.getBytes('x'), { name: 'NoSuchBucket' }, 'a missing bucket is an error, not a missing key');
});
