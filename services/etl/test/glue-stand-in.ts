import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GlueClient, type JobRunState } from '@aws-sdk/client-glue';

/**
 * A tiny stand-in for AWS Glue (there is no Glue emulator): an HTTP server speaking Glue's awsJson1_1
 * protocol (`POST /`, `X-Amz-Target: AWSGlue.<Operation>`, JSON both ways, errors as `{"__type": …}`)
 * for StartJobRun, GetJobRun and BatchStopJobRun of one job, so the real @aws-sdk/client-glue talks to it.
 * Each StartJobRun takes the next scripted outcome; MaxConcurrentRuns is enforced as Glue does.
 */
export type ScriptedRun =
  /** StartJobRun answers ConcurrentRunsExceededException (once). */
  | { refuse: true }
  /** GetJobRun answers these states one per call; the last one stays. */
  | { states: JobRunState[]; errorMessage?: string }
  /** The run does this (e.g. runs the real job); RUNNING until it settles. */
  | { execute: (args: Record<string, string>) => Promise<{ state: JobRunState; errorMessage?: string }> };

export type StandInRun = { id: string; args: Record<string, string>; state: JobRunState; errorMessage?: string; polls: number };
export type StandInCall = { operation: string; body: Record<string, unknown> };

const ENDED = new Set<JobRunState>(['SUCCEEDED', 'FAILED', 'ERROR', 'TIMEOUT', 'STOPPED', 'EXPIRED']);

export type GlueStandIn = {
  endpoint: string;
  /** A real Glue client pointed at the stand-in. */
  client: GlueClient;
  /** Every request, in order. */
  calls: StandInCall[];
  runs: StandInRun[];
  /** Outcomes of the next StartJobRun calls, in order (after them: `fallback`). */
  script(...runs: ScriptedRun[]): void;
  close(): Promise<void>;
};

export async function startGlueStandIn(opts: { jobName: string; maxConcurrentRuns?: number; fallback?: ScriptedRun }): Promise<GlueStandIn> {
  const calls: StandInCall[] = [];
  const runs: StandInRun[] = [];
  const queue: ScriptedRun[] = [];
  const steps = new Map<string, { states: JobRunState[] }>();
  const fallback: ScriptedRun = opts.fallback ?? { states: ['RUNNING', 'SUCCEEDED'] };

  const active = () => runs.filter((r) => !ENDED.has(r.state)).length;
  const error = (res: ServerResponse, status: number, type: string, message: string) => send(res, status, { __type: type, message });

  const handlers: Record<string, (body: Record<string, unknown>, res: ServerResponse) => void> = {
    StartJobRun(body, res) {
      if (body.JobName !== opts.jobName) return error(res, 400, 'EntityNotFoundException', `Job ${String(body.JobName)} not found`);
      const next = queue[0] ?? fallback;
      if ('refuse' in next || active() >= (opts.maxConcurrentRuns ?? 1)) {
        if ('refuse' in next) queue.shift();
        return error(res, 400, 'ConcurrentRunsExceededException', `Concurrent runs exceeded for ${opts.jobName}`);
      }
      queue.shift();
      const run: StandInRun = { id: `jr_${(runs.length + 1).toString().padStart(4, '0')}`, args: (body.Arguments ?? {}) as Record<string, string>, state: 'STARTING', polls: 0 };
      runs.push(run);
      if ('states' in next) {
        steps.set(run.id, { states: next.states });
        run.errorMessage = next.errorMessage;
      } else {
        run.state = 'RUNNING';
        void next.execute(run.args).then(
          (end) => {
            if (run.state === 'RUNNING') Object.assign(run, { state: end.state, errorMessage: end.errorMessage });
          },
          (err: Error) => Object.assign(run, { state: 'FAILED', errorMessage: err.message }),
        );
      }
      send(res, 200, { JobRunId: run.id });
    },
    GetJobRun(body, res) {
      const run = runs.find((r) => r.id === body.RunId);
      if (!run || body.JobName !== opts.jobName) return error(res, 400, 'EntityNotFoundException', `Job run ${String(body.RunId)} not found`);
      const scripted = steps.get(run.id);
      if (scripted && !ENDED.has(run.state)) run.state = scripted.states[Math.min(run.polls, scripted.states.length - 1)] ?? 'RUNNING';
      run.polls++;
      send(res, 200, { JobRun: { Id: run.id, JobName: opts.jobName, JobRunState: run.state, Arguments: run.args, ...(run.errorMessage && ENDED.has(run.state) ? { ErrorMessage: run.errorMessage } : {}) } });
    },
    BatchStopJobRun(body, res) {
      const ids = (body.JobRunIds ?? []) as string[];
      for (const run of runs) if (ids.includes(run.id) && !ENDED.has(run.state)) Object.assign(run, { state: 'STOPPED', errorMessage: 'stopped by BatchStopJobRun' });
      send(res, 200, { SuccessfulSubmissions: ids.map((JobRunId) => ({ JobName: opts.jobName, JobRunId })), Errors: [] });
    },
  };

  const server = createServer((req, res) => {
    void readBody(req).then((text) => {
      const target = req.headers['x-amz-target'];
      const operation = typeof target === 'string' && target.startsWith('AWSGlue.') ? target.slice('AWSGlue.'.length) : '';
      const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
      calls.push({ operation, body });
      const handler = handlers[operation];
      if (req.method !== 'POST' || !handler) return error(res, 400, 'UnknownOperationException', `not in the stand-in: ${String(target)}`);
      handler(body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new GlueClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  return {
    endpoint,
    client,
    calls,
    runs,
    script: (...more) => void queue.push(...more),
    close: async () => {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': 'stand-in' });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
