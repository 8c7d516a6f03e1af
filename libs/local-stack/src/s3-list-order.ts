import type { FastifyInstance } from 'fastify';

const FULL_LISTING = 'x-local-stack-full-listing';
const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/**
 * fauxqs 1.9 sorts a listing with localeCompare (`a_b` before `a-b`, `ab` before `aB`) while S3 sorts
 * keys by their UTF-8 bytes, and it pages by code-unit comparison, so a page boundary can skip keys.
 * This answers ListObjectsV2 without a delimiter (what the lake uses) from fauxqs's own full listing,
 * re-ordered and paged as S3 does.
 */
export function listInByteOrder(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const params = request.params as { bucket?: string; '*'?: string };
    if (request.method !== 'GET' || query['list-type'] !== '2' || query.delimiter !== undefined) return;
    if (request.headers[FULL_LISTING] !== undefined || !params.bucket || params['*']) return;
    const prefix = query.prefix ?? '';
    const full = await app.inject({
      method: 'GET',
      url: `/${encodeURIComponent(params.bucket)}?list-type=2&max-keys=${2 ** 31 - 1}&prefix=${encodeURIComponent(prefix)}`,
      headers: { [FULL_LISTING]: '1' },
    });
    if (full.statusCode !== 200) return; // e.g. NoSuchBucket: fauxqs answers that itself

    const entries = [...full.body.matchAll(/<Contents>[\s\S]*?<\/Contents>/g)].map(([xml]) => ({
      xml,
      key: Buffer.from(unescapeXml(/<Key>([\s\S]*?)<\/Key>/.exec(xml)?.[1] ?? '')),
    }));
    entries.sort((a, b) => Buffer.compare(a.key, b.key));
    const token = query['continuation-token'];
    const after = Buffer.from(token ? Buffer.from(token, 'base64').toString('utf8') : (query['start-after'] ?? ''));
    const remaining = after.length ? entries.filter((e) => Buffer.compare(e.key, after) > 0) : entries;
    const maxKeys = Number(query['max-keys'] ?? 1000);
    const page = remaining.slice(0, maxKeys);
    const last = page[page.length - 1];
    const truncated = remaining.length > page.length && last !== undefined;
    const xml = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      `<ListBucketResult xmlns="${S3_NS}">`,
      `  <Name>${escapeXml(params.bucket)}</Name>`,
      `  <Prefix>${escapeXml(prefix)}</Prefix>`,
      `  <KeyCount>${page.length}</KeyCount>`,
      `  <MaxKeys>${maxKeys}</MaxKeys>`,
      `  <IsTruncated>${truncated}</IsTruncated>`,
      ...(query['start-after'] ? [`  <StartAfter>${escapeXml(query['start-after'])}</StartAfter>`] : []),
      ...(token ? [`  <ContinuationToken>${escapeXml(token)}</ContinuationToken>`] : []),
      ...(truncated ? [`  <NextContinuationToken>${last.key.toString('base64')}</NextContinuationToken>`] : []),
      ...page.map((e) => `  ${e.xml}`),
      '</ListBucketResult>',
    ].join('\n');
    return reply.code(200).type('application/xml').send(xml);
  });
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const escapeXml = (text: string): string => text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);
const unescapeXml = (text: string): string =>
  text.replace(/&(amp|lt|gt|quot|apos);/g, (entity) => Object.entries(XML_ESCAPES).find(([, e]) => e === entity)?.[0] ?? entity);
