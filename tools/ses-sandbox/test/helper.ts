import { SESv2Client, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '@peak/local-stack';
import { startSesSandbox, type SesSandboxHandle, type StartOptions, type StoredMessage } from '@peak/ses-sandbox';

// Node 20 is supported by the SDK until 2027; its notice would only clutter the output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** The part of a tap test the helpers use. */
type Teardown = { teardown(fn: () => unknown): void };

/** A settable sandbox clock (ms): tests move it instead of sleeping. */
export function manualClock(start = Date.parse('2026-12-01T12:00:00Z')) {
  let at = start;
  return { now: () => at, advance: (ms: number) => (at += ms), set: (ms: number) => (at = ms) };
}

/** A listening sandbox, stopped after the test (or the file, given the file's tap object). */
export async function useSandbox(t: Teardown, options: StartOptions = {}): Promise<SesSandboxHandle> {
  const sandbox = await startSesSandbox(options);
  t.teardown(() => sandbox.stop());
  return sandbox;
}

/** The real SES v2 client aimed at the sandbox, without the SDK's own retries. */
export function sesClient(t: Teardown, endpoint: string, extra: Partial<ConstructorParameters<typeof SESv2Client>[0]> = {}): SESv2Client {
  const client = new SESv2Client({ region: LOCAL_REGION, endpoint, credentials: LOCAL_CREDENTIALS, maxAttempts: 1, ...extra });
  t.teardown(() => client.destroy());
  return client;
}

export const FROM = 'Peak Fitness <hello@peakfitness.example>';

/** A Simple SendEmail input to one recipient; `extra` overrides any member. */
export function simple(to: string | string[], extra: Partial<SendEmailCommandInput> = {}): SendEmailCommandInput {
  return {
    FromEmailAddress: FROM,
    Destination: { ToAddresses: Array.isArray(to) ? to : [to] },
    Content: { Simple: { Subject: { Data: 'Hello from Peak' }, Body: { Text: { Data: 'See you at the gym.' }, Html: { Data: '<p>See you at the gym.</p>' } } } },
    ...extra,
  };
}

export const send = (client: SESv2Client, input: SendEmailCommandInput) => client.send(new SendEmailCommand(input));

/** The rejection of a promise (fails the test when it resolves). */
export async function rejection<E = Error & { name: string; $metadata: { httpStatusCode?: number; requestId?: string }; $fault?: string }>(p: Promise<unknown>): Promise<E> {
  try {
    await p;
  } catch (err) {
    return err as E;
  }
  throw new Error('expected a rejection, got an answer');
}

/** JSON calls to the sandbox's controls (`/_sandbox/...`). */
export function admin(endpoint: string) {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${endpoint}/_sandbox${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  return {
    call,
    messages: async (query = '') => (await call<{ messages: StoredMessage[] }>('GET', `/messages${query}`)).body.messages,
    counters: async () => (await call<Record<string, unknown> & { sends: number; recipients: number; refusals: Record<string, number> }>('GET', '/counters')).body,
    fault: (spec: Record<string, unknown>) => call<{ id: string }>('POST', '/faults', spec),
    outcome: (address: string, outcome: string) => call('PUT', `/outcomes/${encodeURIComponent(address)}`, { outcome }),
    account: (patch: Record<string, unknown>) => call('PATCH', '/account', patch),
    reset: (query = '') => call('POST', `/reset${query}`),
    flush: () => call('POST', '/events/flush'),
  };
}
