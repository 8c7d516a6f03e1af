/**
 * RFC 8058 one-click unsubscribe and the preferences page. The link in `List-Unsubscribe` is `/u/<token>`:
 * - `POST` with `List-Unsubscribe=One-Click` (form-urlencoded or multipart, as mailbox providers send it) unsubscribes
 *   at once and answers 200 — no redirect, no cookie, no login (the token is the proof);
 * - `GET` shows a confirmation page and never unsubscribes (scanners and prefetchers follow links).
 * `/preferences/<token>` shows and saves per-topic choices. A forged or damaged token gets 403 and a page saying so.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import Type from 'typebox';
import { EMAIL_TOPICS, type EmailTopic } from '@peak/contracts';
import type { RecipientStore } from '../ledger/recipients.js';
import type { TokenSubject, UnsubscribeTokens } from './tokens.js';
import { confirmPage, invalidLinkPage, preferencesPage, unsubscribedPage } from './pages.js';

export type UnsubscribeRouteOptions = { tokens: UnsubscribeTokens; recipients: RecipientStore; publicBaseUrl: string };

const tokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 400, description: 'The signed token from the email\'s link' }) });
const html = { 200: { type: 'string', description: 'An HTML page' }, 403: { type: 'string', description: 'The link is not genuine: an HTML page says what to do' } };
const formTypes = ['application/x-www-form-urlencoded', 'multipart/form-data'];

/** Form values arrive as a string, a repeated field as an array. */
const values = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)]);

export async function unsubscribeRoutes(app: FastifyInstance, opts: UnsubscribeRouteOptions): Promise<void> {
  const { tokens, recipients } = opts;
  const preferencesUrl = (token: string) => `${opts.publicBaseUrl}/preferences/${token}`;
  const sendPage = (reply: FastifyReply, status: number, body: string) =>
    reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').send(body);
  // Only the form encodings a mail client or our own page sends; a JSON body (which Fastify would parse) is refused.
  app.addHook('preValidation', async (req, reply) => {
    if (req.method !== 'POST') return;
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (!formTypes.includes(type)) {
      return reply.code(415).send({ code: 'UNSUPPORTED_MEDIA_TYPE', message: 'send the form as application/x-www-form-urlencoded or multipart/form-data (List-Unsubscribe=One-Click)' });
    }
  });
  const verified = (token: string, reply: FastifyReply): TokenSubject | undefined => {
    const subject = tokens.verify(token);
    if (!subject) void sendPage(reply, 403, invalidLinkPage());
    return subject;
  };

  app.get('/u/:token', { schema: { tags: ['unsubscribe'], summary: 'Unsubscribe confirmation page (never unsubscribes by itself)', params: tokenParams, produces: ['text/html'], response: html } }, async (req, reply) => {
    const { token } = req.params as { token: string };
    const subject = verified(token, reply);
    if (subject) return sendPage(reply, 200, confirmPage(subject.topic, preferencesUrl(token)));
    return reply;
  });

  app.post(
    '/u/:token',
    {
      bodyLimit: 4096,
      schema: {
        tags: ['unsubscribe'],
        summary: 'RFC 8058 one-click unsubscribe: body `List-Unsubscribe=One-Click`, takes effect at once, answers 200',
        params: tokenParams,
        consumes: formTypes,
        produces: ['text/html'],
        response: { ...html, 400: { type: 'string', description: 'The body is not `List-Unsubscribe=One-Click`' } },
      },
    },
    async (req, reply) => {
      const { token } = req.params as { token: string };
      const subject = verified(token, reply);
      if (!subject) return reply;
      const field = values((req.body as Record<string, unknown> | undefined)?.['List-Unsubscribe']);
      if (field.length !== 1 || field[0] !== 'One-Click') {
        return sendPage(reply, 400, confirmPage(subject.topic, preferencesUrl(token)).replace('</h1>', '</h1><p role="alert">Press the button to confirm.</p>'));
      }
      await recipients.setSubscription(subject.memberId, subject.topic, false, 'one-click');
      req.log.info({ topic: subject.topic }, 'member unsubscribed (one-click)');
      return sendPage(reply, 200, unsubscribedPage(subject.topic, preferencesUrl(token)));
    },
  );

  app.get('/preferences/:token', { schema: { tags: ['unsubscribe'], summary: 'The member\'s email preferences page', params: tokenParams, produces: ['text/html'], response: html } }, async (req, reply) => {
    const { token } = req.params as { token: string };
    const subject = verified(token, reply);
    if (!subject) return reply;
    return sendPage(reply, 200, preferencesPage(await recipients.get(subject.memberId), false));
  });

  app.post(
    '/preferences/:token',
    { bodyLimit: 4096, schema: { tags: ['unsubscribe'], summary: 'Saves the preferences page: the ticked topics stay subscribed', params: tokenParams, consumes: formTypes, produces: ['text/html'], response: html } },
    async (req, reply) => {
      const { token } = req.params as { token: string };
      const subject = verified(token, reply);
      if (!subject) return reply;
      const ticked = values((req.body as Record<string, unknown> | undefined)?.topic).filter((t): t is EmailTopic => (EMAIL_TOPICS as readonly string[]).includes(t));
      const item = await recipients.setPreferences(subject.memberId, [...new Set(ticked)], 'preferences page');
      req.log.info({ subscribed: ticked }, 'member saved email preferences');
      return sendPage(reply, 200, preferencesPage(item, true));
    },
  );
}
