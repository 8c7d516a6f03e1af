/**
 * Unsubscribe tokens: the opaque, hard-to-forge part of the RFC 8058 link. A token names the member and the topic
 * (the "list") and carries an HMAC-SHA256 over both, so the link works without a login and nobody can unsubscribe
 * someone else by editing it. Several keys verify (the first one signs), so the key can be rotated without breaking
 * links in mail already sent. The member's address is not in the token: links get forwarded and logged.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { EMAIL_TOPICS } from '@peak/contracts';
import type { PreferenceTopic } from '../ledger/recipients.js';

export type TokenSubject = { memberId: string; topic: PreferenceTopic };

const VERSION = 'u1';
const topics = new Set<string>([...EMAIL_TOPICS, 'all']);
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

export class UnsubscribeTokens {
  private readonly keys: Buffer[];

  /** `keys`: the signing key first, then older keys still accepted. Each at least 32 bytes of secret. */
  constructor(keys: readonly string[]) {
    if (keys.length === 0) throw new Error('unsubscribe tokens need at least one signing key');
    for (const k of keys) if (Buffer.byteLength(k) < 32) throw new Error('an unsubscribe signing key must be at least 32 bytes long');
    this.keys = keys.map((k) => Buffer.from(k, 'utf8'));
  }

  sign(subject: TokenSubject): string {
    const payload = `${VERSION}.${b64(subject.memberId)}.${subject.topic}`;
    return `${payload}.${this.mac(this.keys[0] as Buffer, payload)}`;
  }

  /** The member and topic of a genuine token; undefined for anything else (forged, truncated, unknown topic). */
  verify(token: string): TokenSubject | undefined {
    if (token.length > 400) return undefined;
    const parts = token.split('.');
    if (parts.length !== 4 || parts[0] !== VERSION) return undefined;
    const [version, member, topic, mac] = parts as [string, string, string, string];
    if (!topics.has(topic) || !/^[A-Za-z0-9_-]+$/.test(member) || !/^[A-Za-z0-9_-]{43}$/.test(mac)) return undefined;
    const payload = `${version}.${member}.${topic}`;
    const given = Buffer.from(mac, 'base64url');
    const genuine = this.keys.some((key) => timingSafeEqual(Buffer.from(this.mac(key, payload), 'base64url'), given));
    if (!genuine) return undefined;
    const memberId = Buffer.from(member, 'base64url').toString('utf8');
    return memberId ? { memberId, topic: topic as PreferenceTopic } : undefined;
  }

  private mac(key: Buffer, payload: string): string {
    return createHmac('sha256', key).update(payload).digest('base64url');
  }
}
