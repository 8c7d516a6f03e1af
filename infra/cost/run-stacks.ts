/** Runs the Pulumi program under the test mocks once per committed stack and returns what each registers. */
import type { Resource } from './cost-model.js';

export async function registeredPerStack(): Promise<{ stack: string; resources: Resource[] }[]> {
  // The mocks and the stack files' reader are test fixtures, shared with the policy test and `npm run infra:graph`;
  // imported lazily so that merely importing the model does not load Pulumi.
  const { runProgram } = await import('../test/fixtures/pulumi-mocks.js');
  const { STACKS, stackConfig } = await import('../test/fixtures/stacks.js');
  const out: { stack: string; resources: Resource[] }[] = [];
  for (const stack of STACKS) {
    // Every run gets its own instance name: the program is imported afresh (ES modules run once per URL).
    const { resources } = await runProgram(stackConfig(stack), `cost-${stack}`);
    out.push({ stack, resources: resources.map((r) => ({ type: r.type, name: r.name, inputs: r.inputs })) });
  }
  return out;
}
