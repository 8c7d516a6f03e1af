import t from 'tap';
import { buildForTest, localClients, useDynamoDb, useSesEmulator, useSqsEmulator } from '@peak/service-kit/testing';
import { buildApp, readConfig } from '@peak/notifier';
import { UnsubscribeTokens } from '../src/unsubscribe/tokens.js';

const KEY = 'test-unsubscribe-signing-key-0123456789';
const OLD_KEY = 'the-previous-signing-key-abcdefghijklmnop';

t.test('unsubscribe tokens', async (t) => {
  const tokens = new UnsubscribeTokens([KEY, OLD_KEY]);
  const token = tokens.sign({ memberId: 'M000042', topic: 'win_back' });
  t.same(tokens.verify(token), { memberId: 'M000042', topic: 'win_back' });
  t.notMatch(token, /M000042/, 'the member id is encoded, not in clear');
  const [v, member, topic, mac] = token.split('.') as [string, string, string, string];
  const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
  t.equal(tokens.verify(`${v}.${Buffer.from('M000043').toString('base64url')}.${topic}.${mac}`), undefined, 'another member with the same MAC: refused');
  t.equal(tokens.verify(`${v}.${member}.all.${mac}`), undefined, 'another topic: refused');
  t.equal(tokens.verify(`${v}.${member}.${topic}.${flip(mac)}`), undefined, 'a changed MAC: refused');
  t.equal(tokens.verify(`${v}.${member}.${topic}.${mac.slice(0, 20)}`), undefined, 'a truncated MAC: refused');
  t.equal(tokens.verify(`u2.${member}.${topic}.${mac}`), undefined, 'an unknown version: refused');
  for (const junk of ['', '....', 'a'.repeat(5000), `${v}.${member}.__proto__.${mac}`, `${v}.${member}.constructor.${mac}`]) t.equal(tokens.verify(junk), undefined, `junk refused: ${junk.slice(0, 30)}`);
  const signedWithOld = new UnsubscribeTokens([OLD_KEY]).sign({ memberId: 'M1', topic: 'milestones' });
  t.same(tokens.verify(signedWithOld), { memberId: 'M1', topic: 'milestones' }, 'a link signed with the previous key still works after rotation');
  t.equal(new UnsubscribeTokens([KEY]).verify(signedWithOld), undefined, 'and stops working once that key is removed');
  t.throws(() => new UnsubscribeTokens(['short']), /at least 32 bytes/);
  t.throws(() => new UnsubscribeTokens([]), /at least one signing key/);
});

t.test('one-click unsubscribe and preferences (RFC 8058)', async (t) => {
  const emu = await useSqsEmulator(t);
  const ses = await useSesEmulator(t);
  const db = await useDynamoDb(t);
  const config = readConfig({ UNSUBSCRIBE_SIGNING_KEYS: KEY, PUBLIC_BASE_URL: 'https://notify.peakfitness.example' });
  const app = await buildForTest(t, () =>
    buildApp(config, { sqs: localClients.sqs(t, emu.endpoint), ses: localClients.ses(t, ses.endpoint), dynamodb: localClients.dynamodb(t, db.endpoint), consume: false }),
  );
  const tokens = new UnsubscribeTokens([KEY]);
  const token = tokens.sign({ memberId: 'M7', topic: 'win_back' });
  const form = { 'content-type': 'application/x-www-form-urlencoded' };

  t.test('GET shows a confirmation page and does not unsubscribe', async (t) => {
    const r = await app.inject({ url: `/u/${token}` });
    t.equal(r.statusCode, 200);
    t.match(r.headers['content-type'], /text\/html/);
    t.match(r.body, /Unsubscribe from We-miss-you reminders\?/);
    t.match(r.body, /name="List-Unsubscribe" value="One-Click"/, 'its button posts the one-click body');
    t.equal(r.headers['set-cookie'], undefined);
    t.notOk(await app.notifier.recipients.unsubscribedFrom('M7', 'win_back'), 'still subscribed');
  });

  t.test('POST List-Unsubscribe=One-Click (urlencoded) takes effect at once, 200, no redirect', async (t) => {
    const r = await app.inject({ method: 'POST', url: `/u/${token}`, headers: form, payload: 'List-Unsubscribe=One-Click' });
    t.equal(r.statusCode, 200);
    t.equal(r.headers.location, undefined, 'no redirect');
    t.match(r.body, /You're unsubscribed/);
    const off = await app.notifier.recipients.unsubscribedFrom('M7', 'win_back');
    t.equal(off?.source, 'one-click');
    t.notOk(await app.notifier.recipients.unsubscribedFrom('M7', 'milestones'), 'other topics stay');
    const again = await app.inject({ method: 'POST', url: `/u/${token}`, headers: form, payload: 'List-Unsubscribe=One-Click' });
    t.equal(again.statusCode, 200, 'a repeat is fine');
  });

  t.test('POST as multipart/form-data (what RFC 8058 says mailbox providers SHOULD send)', async (t) => {
    const milestones = tokens.sign({ memberId: 'M7', topic: 'milestones' });
    const boundary = '----peak';
    const payload = `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`;
    const r = await app.inject({ method: 'POST', url: `/u/${milestones}`, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
    t.equal(r.statusCode, 200);
    t.ok(await app.notifier.recipients.unsubscribedFrom('M7', 'milestones'));
  });

  t.test('refusals: forged token, wrong body, wrong content type, oversized body', async (t) => {
    const forged = `${token.slice(0, -2)}xx`;
    const bad = await app.inject({ method: 'POST', url: `/u/${forged}`, headers: form, payload: 'List-Unsubscribe=One-Click' });
    t.equal(bad.statusCode, 403);
    t.match(bad.body, /This link is not valid/);
    t.equal((await app.inject({ url: `/u/${forged}` })).statusCode, 403);
    t.equal((await app.inject({ url: `/preferences/${forged}` })).statusCode, 403);
    const otherMember = tokens.sign({ memberId: 'M8', topic: 'leaderboard' });
    const wrongBody = await app.inject({ method: 'POST', url: `/u/${otherMember}`, headers: form, payload: 'List-Unsubscribe=Yes' });
    t.equal(wrongBody.statusCode, 400);
    t.match(wrongBody.body, /Press the button to confirm/);
    t.notOk(await app.notifier.recipients.unsubscribedFrom('M8', 'leaderboard'), 'not unsubscribed by a body that is not the one-click one');
    const twice = await app.inject({ method: 'POST', url: `/u/${otherMember}`, headers: form, payload: 'List-Unsubscribe=One-Click&List-Unsubscribe=One-Click' });
    t.equal(twice.statusCode, 400, 'the field twice is not the one-click body');
    const json = await app.inject({ method: 'POST', url: `/u/${otherMember}`, headers: { 'content-type': 'application/json' }, payload: '{"List-Unsubscribe":"One-Click"}' });
    t.equal(json.statusCode, 415);
    const huge = await app.inject({ method: 'POST', url: `/u/${otherMember}`, headers: form, payload: `List-Unsubscribe=One-Click&x=${'a'.repeat(10_000)}` });
    t.equal(huge.statusCode, 413);
    t.equal((await app.inject({ url: `/u/${'a'.repeat(500)}` })).statusCode, 414, 'an over-long token is refused before any work');
  });

  t.test('the longest member id (64 characters) fits the link', async (t) => {
    const long = tokens.sign({ memberId: 'M'.repeat(64), topic: 'location_news' });
    const r = await app.inject({ method: 'POST', url: `/u/${long}`, headers: form, payload: 'List-Unsubscribe=One-Click' });
    t.equal(r.statusCode, 200);
    t.ok(await app.notifier.recipients.unsubscribedFrom('M'.repeat(64), 'location_news'));
  });

  t.test('hostile values never reach the page as markup', async (t) => {
    const weird = tokens.sign({ memberId: '<script>alert(1)</script>', topic: 'all' });
    const r = await app.inject({ url: `/u/${weird}` });
    t.equal(r.statusCode, 200);
    t.notMatch(r.body, /<script>/);
  });

  t.test('preferences: shows the current choices, saves the ticked topics', async (t) => {
    const page = await app.inject({ url: `/preferences/${token}` });
    t.equal(page.statusCode, 200);
    t.notMatch(page.body, /value="win_back" checked/, 'win-back was unsubscribed');
    t.match(page.body, /value="location_news" checked/);
    const saved = await app.inject({ method: 'POST', url: `/preferences/${token}`, headers: form, payload: 'topic=win_back&topic=location_news&topic=bogus' });
    t.equal(saved.statusCode, 200);
    t.match(saved.body, /Saved/);
    const item = await app.notifier.recipients.get('M7');
    t.same(Object.keys(item?.unsubscribed ?? {}).sort(), ['leaderboard', 'milestones', 'onboarding'], 'unticked topics unsubscribed; an unknown topic ignored');
    const none = await app.inject({ method: 'POST', url: `/preferences/${token}`, headers: form, payload: '' });
    t.equal(none.statusCode, 200);
    t.ok((await app.notifier.recipients.get('M7'))?.unsubscribed.all, 'nothing ticked: unsubscribed from all');
  });

  t.test('the API is behind bearer keys', async (t) => {
    t.equal((await app.inject({ url: '/v1/sends?memberId=M7' })).statusCode, 403, 'no NOTIFIER_API_KEYS: API disabled');
  });
});
