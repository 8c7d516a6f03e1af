/**
 * The Dockerfiles and .dockerignore, read as text (no Docker here): multi-stage, pinned bases, a non-root final user,
 * every COPY source present in the build context, the build stage the same everywhere but for its target, and each
 * final command what scripts/build-image.ts produces. test/images/build.test.ts runs that build stage's step.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { BUNDLE, JOB_SCRIPTS, REPO_ROOT, SERVICE_TARGETS, TARGETS, type ServiceName, type TargetName } from '../../scripts/build-image.js';
import { dockerignore, execForm, last, parseCopy, parseDockerfile, stageEnv, type Stage } from './docker-files.js';

const SERVICES = Object.keys(SERVICE_TARGETS) as ServiceName[];
/** Where each image's Dockerfile is: services/<name>/Dockerfile (the infrastructure builds them by that path), the jobs' at the root. */
const DOCKERFILES: Record<TargetName, string> = {
  ...(Object.fromEntries(SERVICES.map((s) => [s, `services/${s}/Dockerfile`])) as Record<ServiceName, string>),
  platform: 'Dockerfile',
};
const read = (path: string): string => readFileSync(join(REPO_ROOT, path), 'utf8');
const ignored = dockerignore(read('.dockerignore'));
const workspaces = (JSON.parse(read('package.json')) as { workspaces: string[] }).workspaces;

/** A pinned base: an exact Node 20 release on slim Debian (or distroless), or any image by digest. */
const PINNED = /^(?:node:20\.\d+\.\d+-(?:bookworm|trixie)-slim|gcr\.io\/distroless\/nodejs20-debian\d+:[\w.-]+)(?:@sha256:[0-9a-f]{64})?$|@sha256:[0-9a-f]{64}$/;
/** The build stage's last step: scripts/build-image.ts for one target into /out. */
const BUILD_STEP = /^node --import tsx scripts\/build-image\.ts (\S+) \/out$/;

const parsed = new Map<TargetName, Stage[]>();
for (const target of TARGETS) {
  t.ok(existsSync(join(REPO_ROOT, DOCKERFILES[target])), `${DOCKERFILES[target]} exists`);
  parsed.set(target, parseDockerfile(read(DOCKERFILES[target])));
}

t.test('the parsers (so the checks below can fail)', async (t) => {
  const stages = parseDockerfile('# c\nARG X=1\nFROM a:1 AS build\nRUN one \\\n  # inner\n  two\nFROM b:2\nUSER 1000\nCMD ["node", "x.mjs"]\n');
  t.same(stages.map((s) => [s.image, s.name]), [['a:1', 'build'], ['b:2', undefined]], 'stages and names');
  t.equal(stages[0]!.instructions[0]!.args, 'one two', 'continuations joined, inner comments dropped');
  t.same(execForm(last(stages[1]!, 'CMD')!.args), ['node', 'x.mjs'], 'exec form');
  t.same(parseCopy('--from=build --chown=1:1 /out/ ./'), { flags: { from: 'build', chown: '1:1' }, sources: ['/out/'], dest: './' }, 'COPY flags');
  const ig = dockerignore('**/node_modules\n*.md\n!KEEP.md\ndocs\n/.env\n');
  t.ok(ig('node_modules/a') && ig('libs/x/node_modules/a/b.js'), '**/ at any depth, and everything below');
  t.ok(ig('README.md') && !ig('libs/README.md') && !ig('KEEP.md'), '* stays in its folder; ! re-includes');
  t.ok(ig('docs/x/y.png') && ig('.env') && !ig('libs/docs.ts'), 'folders and leading /');
  t.notOk(PINNED.test('node:20-bookworm-slim') || PINNED.test('node:latest') || PINNED.test('node:20.20-bookworm-slim'), 'a floating tag is not pinned');
});

for (const target of TARGETS) {
  const file = DOCKERFILES[target];
  const stages = parsed.get(target)!;
  t.test(file, async (t) => {
    t.ok(stages.length >= 2, 'multi-stage');
    for (const s of stages) t.match(s.image, PINNED, `FROM ${s.image}: pinned`);
    t.equal(new Set(stages.map((s) => s.image)).size, 1, 'build and run on the same base (the native binding is picked for its libc)');

    const build = stages.find((s) => s.name === 'build');
    t.ok(build, 'a stage named build');
    const final = stages.at(-1)!;
    t.not(final, build, 'the final stage is not the build stage');

    // Every COPY from the context names something that exists and that .dockerignore lets through.
    for (const s of stages) {
      for (const ins of s.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')) {
        t.equal(ins.keyword, 'COPY', `line ${ins.line}: COPY, not ADD`);
        const { flags, sources } = parseCopy(ins.args);
        if (flags.from) {
          t.ok(stages.some((x) => x.name === flags.from), `line ${ins.line}: --from=${flags.from} is a stage of this file`);
          continue;
        }
        for (const src of sources) {
          t.ok(existsSync(join(REPO_ROOT, src)), `line ${ins.line}: ${src} exists`);
          t.notOk(ignored(src), `line ${ins.line}: ${src} is in the build context`);
        }
      }
    }

    // The build stage: the lock installed as is, then the shared script for this file's own target.
    const runs = build!.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    t.ok(runs.some((r) => /\bnpm ci\b/.test(r) && r.includes('--ignore-scripts')), 'npm ci from the lock, no install scripts');
    t.notOk(runs.some((r) => /\bnpm (install|i)\b/.test(r)), 'never npm install');
    const manifests = build!.instructions
      .filter((i) => i.keyword === 'COPY')
      .flatMap((i) => parseCopy(i.args).sources)
      .filter((s) => s.endsWith('/package.json'))
      .map((s) => s.slice(0, -'/package.json'.length));
    t.same(manifests.sort(), [...workspaces].sort(), "every workspace's package.json before npm ci (npm ci needs them all)");
    const step = build!.instructions.at(-1)!;
    t.equal(step.keyword, 'RUN', 'the build stage ends with its build step');
    t.equal(BUILD_STEP.exec(step.args)?.[1], target, `which builds ${target}`);

    // The final stage: only the build's output, as a non-root user, production mode, no secrets.
    const finalCopies = final.instructions.filter((i) => i.keyword === 'COPY').map((i) => parseCopy(i.args));
    t.same(finalCopies.map((c) => [c.flags.from, c.sources]), [['build', ['/out/']]], 'copies /out from the build stage and nothing from the context');
    const user = last(final, 'USER');
    t.ok(user, 'sets USER');
    const [uid] = (user?.args ?? '').split(':');
    t.notOk(['', 'root', '0'].includes(uid!), `USER ${user?.args} is not root`);
    t.ok(final.instructions.indexOf(user!) > final.instructions.findLastIndex((i) => i.keyword === 'RUN'), 'no RUN after USER needs root (and none runs as root after it)');
    const env = stageEnv(final);
    t.equal(env.NODE_ENV, 'production', 'NODE_ENV=production');
    t.equal(last(final, 'WORKDIR')?.args, '/app', 'WORKDIR /app (the build output)');
    for (const s of stages) {
      for (const i of s.instructions.filter((x) => x.keyword === 'ENV' || x.keyword === 'ARG')) {
        t.notMatch(i.args, /SECRET|TOKEN|PASSWORD|API_KEY|SIGNING_KEY|ACCESS_KEY/i, `line ${i.line}: no secret in ${i.keyword}`);
      }
    }
    t.notOk(final.instructions.some((i) => i.keyword === 'ENTRYPOINT'), "the base image's entrypoint stays (it runs `node …` and bare script commands alike)");
  });
}

t.test('the five build stages and the platform one are the same but for the target', async (t) => {
  const buildStage = (target: TargetName): string =>
    parsed
      .get(target)!
      .find((s) => s.name === 'build')!
      .instructions.slice(0, -1)
      .map((i) => `${i.keyword} ${i.args}`)
      .join('\n');
  const reference = buildStage('platform');
  for (const s of SERVICES) t.equal(buildStage(s), reference, `${DOCKERFILES[s]}: one cache for npm ci across the images`);
});

for (const name of SERVICES) {
  t.test(`${name}: port, command and health check`, async (t) => {
    const final = parsed.get(name)!.at(-1)!;
    const { port, entry } = SERVICE_TARGETS[name];
    const config = (await import(pathToFileURL(join(REPO_ROOT, entry.replace(/server\.ts$/, 'config.ts'))).href)) as { configSchema: { PORT: { default: number } } };
    t.equal(port, config.configSchema.PORT.default, `${port} is the service's own default PORT`);
    t.equal(last(final, 'EXPOSE')?.args, String(port), `EXPOSE ${port}`);
    const env = stageEnv(final);
    t.equal(env.PORT, String(port), `PORT=${port}`);
    t.equal(env.HOST, '0.0.0.0', 'HOST=0.0.0.0 (the services default to 127.0.0.1, unreachable from the load balancer)');
    t.same(execForm(last(final, 'CMD')!.args), ['node', BUNDLE], `CMD node ${BUNDLE}: the bundle scripts/build-image.ts writes`);
    const health = last(final, 'HEALTHCHECK')?.args ?? '';
    t.match(health, /CMD \["node", "-e", ".*process\.env\.PORT.*\/health/, 'HEALTHCHECK asks /health on its own port, with node (no curl in the image)');
  });
}

t.test('platform: the jobs\' commands run from its WORKDIR', async (t) => {
  const final = parsed.get('platform')!.at(-1)!;
  const cmd = execForm(last(final, 'CMD')!.args)!;
  t.same(cmd.slice(0, 3), ['node', '--import', 'tsx'], 'CMD is a tsx command, as infra/src/scheduled-job.ts tsxCommand builds them');
  t.ok((JOB_SCRIPTS as readonly string[]).includes(cmd[3]!), `${cmd[3]} is one of the job scripts the build keeps`);
  // The infrastructure's job commands are the ones this image must run.
  const infra = ['infra/src/churn-jobs.ts', 'infra/src/crm-sync-job.ts', 'infra/src/campaign-planner-job.ts'].map(read).join('\n');
  const scripts = [...new Set([...infra.matchAll(/'((?:libs|services)\/[\w/-]+\.ts)'/g)].map((m) => m[1]!))];
  t.equal(scripts.length, 3, `the jobs' scripts in infra/src: ${scripts.join(', ')}`);
  for (const s of scripts) t.ok((JOB_SCRIPTS as readonly string[]).includes(s), `${s} is kept in the platform image`);
});

t.test('.dockerignore keeps local state, secrets, dependencies, outputs, tests and docs out of the context', async (t) => {
  const mustExclude = [
    '.git/HEAD',
    'node_modules/fastify/package.json',
    'libs/churn/node_modules/x/index.js',
    '.data/lake/raw/a.csv',
    '.tap/report/coverage-summary.json',
    'libs/churn/.tap/test-results/x',
    'coverage/lcov.info',
    'dashboard/dist/index.html',
    '.env',
    '.env.local',
    '.scratch/notes',
    'test/e2e/x.test.ts',
    'services/notifier/test/app.test.ts',
    'docs/screenshots/dashboard.png',
    'docs/decisions/0002-pulumi-layout.md',
    'npm-debug.log',
    'bench/run.sh',
  ];
  for (const p of mustExclude) t.ok(ignored(p), `${p} is excluded`);
  const mustKeep = ['package.json', 'package-lock.json', 'tsconfig.base.json', 'scripts/build-image.ts', 'libs/churn/src/cli.ts', 'services/notifier/src/templates/sources/welcome.html.hbs', 'dashboard/index.html', 'dashboard/src'];
  for (const p of mustKeep) t.notOk(ignored(p), `${p} is kept`);
});
