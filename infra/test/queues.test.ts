import t from 'tap';
import { dlqName, queueList } from '@peak/contracts';
import { byType, runProgram } from './fixtures/pulumi-mocks.js';

const { resources, outputs } = await runProgram({ 'peak-fitness:stage': 'test', 'aws:region': 'us-east-1' });
const queues = byType(resources, 'aws:sqs/queue:Queue');
const named = (name: string) => queues.find((q) => q.inputs.name === name);

t.test('one queue and one DLQ per contract queue, nothing else', async (t) => {
  t.equal(queues.length, queueList.length * 2, `${queueList.length} queues + ${queueList.length} DLQs`);
  t.equal(new Set(queues.map((q) => q.inputs.name)).size, queues.length, 'physical names are unique');
  for (const def of queueList) {
    t.ok(named(`peak-test-${def.name}`), `queue peak-test-${def.name}`);
    t.ok(named(`peak-test-${dlqName(def)}`), `DLQ peak-test-${dlqName(def)}`);
  }
});

t.test('each queue is configured from its contract and redrives to its own DLQ', async (t) => {
  for (const def of queueList) {
    const queue = named(`peak-test-${def.name}`);
    const dlq = named(`peak-test-${dlqName(def)}`);
    if (!queue || !dlq) {
      t.fail(`${def.name} or its DLQ is missing`);
      continue;
    }
    t.equal(queue.inputs.visibilityTimeoutSeconds, def.visibilityTimeoutSeconds, `${def.name} visibility timeout`);
    t.equal(queue.inputs.messageRetentionSeconds, def.messageRetentionSeconds, `${def.name} retention`);
    t.equal(queue.inputs.receiveWaitTimeSeconds, def.receiveWaitTimeSeconds, `${def.name} long-poll wait`);
    t.equal(queue.inputs.sqsManagedSseEnabled, true, `${def.name} is encrypted`);
    const redrive = JSON.parse(String(queue.inputs.redrivePolicy)) as { deadLetterTargetArn: string; maxReceiveCount: number };
    t.equal(redrive.maxReceiveCount, def.maxReceiveCount, `${def.name} maxReceiveCount`);
    t.equal(redrive.deadLetterTargetArn, `arn:aws:sqs:us-east-1:123456789012:peak-test-${dlqName(def)}`, `${def.name} redrives to its DLQ`);

    t.equal(dlq.inputs.messageRetentionSeconds, def.dlqRetentionSeconds, `${def.name} DLQ retention`);
    t.notOk(dlq.inputs.redrivePolicy, `${def.name} DLQ does not redrive further`);
    t.equal(dlq.inputs.sqsManagedSseEnabled, true, `${def.name} DLQ is encrypted`);
    t.match(queue.inputs.tags, { stage: 'test', project: 'peak-fitness', queue: def.name }, `${def.name} is tagged`);
  }
});

t.test('stack outputs map each logical queue name to its URL and ARN', async (t) => {
  const names = queueList.map((q) => q.name).sort();
  for (const key of ['queueUrls', 'queueArns', 'deadLetterQueueUrls', 'deadLetterQueueArns']) {
    t.same(Object.keys((outputs[key] ?? {}) as object).sort(), names, `${key} has every queue`);
  }
  const urls = outputs.queueUrls as Record<string, string>;
  t.equal(urls['raw-landed'], 'https://sqs.us-east-1.amazonaws.com/123456789012/peak-test-raw-landed');
  t.equal(outputs.stage, 'test');
});
