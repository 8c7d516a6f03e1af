/** Shared by the notifier's tests (not a test file itself: tap runs only *.test.ts). */
import type { EmailRequest } from '@peak/contracts';

/** A valid marketing win-back request for the member; any field can be overridden. */
export function emailRequestFor(memberId: string, overrides: Partial<EmailRequest> = {}): EmailRequest {
  return {
    type: 'email-request',
    version: 1,
    requestId: `req-${memberId}`,
    dedupeKey: `win_back:${memberId}:2026-11-20`,
    campaignId: 'win_back',
    runId: 'plan-2026-12-07-abc',
    kind: 'marketing',
    topic: 'win_back',
    template: 'win_back',
    memberId,
    to: `${memberId.toLowerCase()}@example.com`,
    locationId: 'downtown',
    variables: { firstName: 'Ana', daysSinceVisit: 17 },
    requestedAt: '2026-12-07T06:00:00Z',
    expiresAt: '2026-12-09T06:00:00Z',
    ...overrides,
  };
}
