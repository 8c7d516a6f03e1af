import { TypeBoxValidatorCompiler, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError } from 'fastify';
import Type from 'typebox';
import { SandboxError } from './errors.js';
import { ALLOWED } from './guard.js';
import type { SqlSandbox } from './sandbox.js';

export type SqlApiOptions = {
  sandbox: SqlSandbox;
  /** Most rows one request may get (config SQL_SANDBOX_MAX_ROWS). */
  maxRows: number;
  /** Largest body accepted (bytes), for the 413 message. */
  bodyLimit: number;
};

const errorBody = Type.Object(
  {
    error: Type.String({ description: 'What went wrong, one word: REFUSED, QUERY_FAILED, TIMEOUT, BAD_REQUEST, BODY_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE' }),
    code: Type.String({ description: 'The same as `error` (the field every Peak service error carries)' }),
    message: Type.String({ description: 'What to do about it, in words' }),
  },
  { description: 'A refused or failed query (never a stack trace)' },
);

const column = Type.Object({ name: Type.String(), type: Type.String({ description: "DuckDB's type, e.g. VARCHAR, BIGINT, DECIMAL(12,2), TIMESTAMP, DATE" }) });
const view = Type.Object({
  name: Type.String(),
  description: Type.String(),
  columns: Type.Array(Type.Object({ name: Type.String(), type: Type.String(), description: Type.String() })),
});

/** `POST /query` and `GET /views`; every 4xx answered as `{ error, code, message }`. */
export const sqlApi: FastifyPluginAsyncTypebox<SqlApiOptions> = async (api, { sandbox, maxRows, bodyLimit }) => {
  api.setErrorHandler((err: FastifyError | SandboxError, request, reply) => {
    const failure = clientFailure(err, bodyLimit, maxRows);
    if (!failure) throw err; // ours: the service's handler logs it and answers 500
    request.log.info({ code: failure.code }, 'query not run');
    return reply.code(failure.status).send({ error: failure.code, code: failure.code, message: failure.message });
  });

  api.post(
    '/query',
    {
      schema: {
        tags: ['sql'],
        summary: 'Run one read-only query over the lake views',
        description:
          `One statement: ${ALLOWED}. Anything that writes, reads files outside the lake's processed zone, loads extensions or changes settings is refused (400 REFUSED). ` +
          `At most \`maxRows\` rows come back (\`truncated\` says when there were more). A query that runs past the time limit is interrupted and answered 422 TIMEOUT ` +
          '(not 408: that status means the client was slow to send, and some clients resend on it, which would run the heavy query again).',
        body: Type.Object(
          {
            sql: Type.String({ minLength: 1, description: 'One read-only statement, e.g. SELECT location_id, count(*) FROM fact_attendance GROUP BY 1' }),
            maxRows: Type.Optional(Type.Integer({ minimum: 1, maximum: maxRows, description: `Rows to return at most (default and upper bound ${maxRows})` })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            columns: Type.Array(column),
            rows: Type.Array(Type.Array(Type.Unknown()), { description: 'One array per row, values in column order; numbers as numbers, DATE as YYYY-MM-DD, TIMESTAMP as ISO 8601 UTC' }),
            truncated: Type.Boolean({ description: 'There were more rows than maxRows' }),
            elapsedMs: Type.Integer(),
          }),
          400: errorBody,
          413: errorBody,
          415: errorBody,
          422: errorBody,
        },
      },
      // TypeBox's checker, not Fastify's Ajv: Ajv would coerce `"sql": 42` into the text "42".
      validatorCompiler: TypeBoxValidatorCompiler,
    },
    async (request) => {
      const result = await sandbox.query(request.body.sql, { maxRows: request.body.maxRows });
      request.log.info({ sql: request.body.sql.slice(0, 200), rows: result.rows.length, truncated: result.truncated, elapsedMs: result.elapsedMs }, 'query');
      return result;
    },
  );

  api.get(
    '/views',
    { schema: { tags: ['sql'], summary: 'The views a query can use, with their columns', response: { 200: Type.Array(view) } } },
    async () => sandbox.views(),
  );
};

type ClientFailure = { status: number; code: string; message: string };

/** A 4xx in the sandbox's words, or undefined for anything that is our fault. */
function clientFailure(err: FastifyError | SandboxError, bodyLimit: number, maxRows: number): ClientFailure | undefined {
  if (err instanceof SandboxError) return err.statusCode < 500 ? { status: err.statusCode, code: err.code, message: err.message } : undefined;
  const body = `the body must be JSON {"sql": "SELECT …", "maxRows": 1…${maxRows} (optional)}`;
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, code: 'BODY_TOO_LARGE', message: `the body is larger than ${bodyLimit / 1024} KiB: send one query per request` };
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: `${body}, sent as Content-Type: application/json` };
  if (err.validation) return { status: 400, code: 'BAD_REQUEST', message: `${body}: ${err.message}` };
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return { status: err.statusCode, code: 'BAD_REQUEST', message: `${body}: ${err.message}` };
  return undefined;
}
