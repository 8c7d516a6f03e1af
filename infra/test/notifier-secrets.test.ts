import { randomBytes } from 'node:crypto';
import t from 'tap';
import { byType, runProgram } from './fixtures/pulumi-mocks.js';

const { resources, outputs } = await runProgram({ 'peak-fitness:stage': 'test' });
// After runProgram: Pulumi resource modules load once the mocks are set.
const { SIGNING_KEYS_VARIABLE } = await import('../src/notifier-secrets.js');
// The notifier's own reading of the value, and its tokens: the README's generation and rotation steps are held to them.
const { readConfig, signingKeys } = await import('../../services/notifier/src/config.js');
const { UnsubscribeTokens } = await import('../../services/notifier/src/unsubscribe/tokens.js');

const SECRET_NAME = 'peak-test-notifier-unsubscribe-signing-keys';
const SECRET_ARN = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${SECRET_NAME}-AbC123`; // the mock's ARN
/** What the README's `openssl rand -hex 32` gives: 64 hex characters. */
const newKey = () => randomBytes(32).toString('hex');

t.test('the unsubscribe signing keys: a secret without a value in the program or the stack', async (t) => {
  const secret = byType(resources, 'aws:secretsmanager/secret:Secret').find((s) => s.inputs.name === SECRET_NAME);
  t.ok(secret, 'one secret, named per stage');
  t.notOk(secret?.inputs.kmsKeyId, 'the account’s aws/secretsmanager key');
  t.match(secret?.inputs.tags, { project: 'peak-fitness', stage: 'test', component: 'notifier-secrets' }, 'tagged');
  t.match(String(secret?.inputs.description), /UNSUBSCRIBE_SIGNING_KEYS/, 'says what it holds');
  t.equal(byType(resources, 'aws:secretsmanager/secretVersion:SecretVersion').length, 0, 'no secret version: the operator puts the value (infra/README.md)');
  t.equal(outputs.unsubscribeSigningKeysSecretArn, SECRET_ARN, 'its ARN is a stack output (the notifier’s task definition `secrets`)');
  t.equal(outputs.unsubscribeSigningKeysSecretName, SECRET_NAME, 'its name is a stack output (put-secret-value --secret-id)');
  t.equal(SIGNING_KEYS_VARIABLE, 'UNSUBSCRIBE_SIGNING_KEYS');
});

t.test('no role of this stack can read it: the notifier’s execution role will be the first', async (t) => {
  for (const policy of byType(resources, 'aws:iam/rolePolicy:RolePolicy')) {
    t.notOk(String(policy.inputs.policy).includes(SECRET_NAME), `${String(policy.inputs.name)}: not the signing keys`);
  }
});

t.test('a generated key is what the notifier accepts, and the documented rotation keeps old links working', async (t) => {
  const oldKey = newKey();
  t.match(readConfig({ [SIGNING_KEYS_VARIABLE]: oldKey }), { UNSUBSCRIBE_SIGNING_KEYS: oldKey }, 'openssl rand -hex 32 is a valid UNSUBSCRIBE_SIGNING_KEYS');
  const before = new UnsubscribeTokens(signingKeys(readConfig({ [SIGNING_KEYS_VARIABLE]: oldKey })));
  const sentBefore = before.sign({ memberId: 'M001', topic: 'win_back' });
  // Rotation step 1: the new key first, the old one kept.
  const rotatedKey = newKey();
  const rotated = readConfig({ [SIGNING_KEYS_VARIABLE]: `${rotatedKey},${oldKey}` });
  t.same(signingKeys(rotated), [rotatedKey, oldKey], 'comma-separated, the new key first');
  const during = new UnsubscribeTokens(signingKeys(rotated));
  t.same(during.verify(sentBefore), { memberId: 'M001', topic: 'win_back' }, 'a link in mail sent before the rotation still works');
  const sentDuring = during.sign({ memberId: 'M002', topic: 'all' });
  t.same(new UnsubscribeTokens([rotatedKey]).verify(sentDuring), { memberId: 'M002', topic: 'all' }, 'new links are signed with the new key');
  // Rotation step 2 (once the old key's mail is out of inboxes): drop it; its links stop working.
  t.equal(new UnsubscribeTokens([rotatedKey]).verify(sentBefore), undefined, 'after the old key is dropped, its links are refused');
  t.throws(() => readConfig({ [SIGNING_KEYS_VARIABLE]: 'too-short' }), /UNSUBSCRIBE_SIGNING_KEYS/, 'a short key is refused at start');
});
