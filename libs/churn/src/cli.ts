/**
 * `npm run churn -- <train|score|report>`: the churn model's jobs. Locally over the lake folder with DuckDB (what
 * `npm start` runs after loading the samples); in AWS the same commands run as scheduled ECS tasks with Athena
 * (ANALYTICS_ENGINE=athena) and the S3 lake. docs/churn-model.md explains the model.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { AnalyticsSettingsError, openAnalytics, type AnalyticsContext } from './context.js';
import { LabelWindowError, readTruth } from './labels.js';
import { ModelFileError, MODEL_KIND_NAMES, MODEL_KINDS, type ChurnModel, type EvaluationPair, type ModelKind } from './model.js';
import { NoModelError, readRegistry, registerModel, loadChampion } from './registry.js';
import { runScoring } from './score.js';
import { collectTrainingData, DEFAULT_SETTINGS, fitChurnModel, type ProgressFn, type TrainingSettings } from './train.js';

export const HELP = `Peak Fitness churn model.

Usage: npm run churn -- <command> [options]

Commands:
  train    features and labels for every cut-off, fit, calibrate, evaluate; save the model in the
           lake's registry and promote it if it does at least as well as the current one
  score    score every current member with the promoted model; writes member_churn_scores for the day
  report   the promoted model's evaluation and the registry's history

Options:
  --lake <uri|dir>     the lake (default: LAKE_URI, else <repo>/.data/lake as npm start uses)
  --time-zone <tz>     the studios' IANA zone for local days (default: STUDIO_TIME_ZONE, else America/New_York)
  --truth <file>       train: also evaluate against a ground-truth file (the sample generator's truth/churn_labels.csv)
  --horizon <days>     train: churn within this many days of the cut-off (default ${DEFAULT_SETTINGS.horizonDays})
  --inactivity <days>  train: days without a check-in that make a member churned (default ${DEFAULT_SETTINGS.inactivityDays})
  --confirm <days>     train: days after the window a churner must stay away (default ${DEFAULT_SETTINGS.confirmDays})
  --step <days>        train: days between training cut-offs (default ${DEFAULT_SETTINGS.stepDays})
  --models <kinds>     train: the model kinds to fit and choose from, comma-separated (default ${DEFAULT_SETTINGS.models.join(',')})
  --as-of <YYYY-MM-DD> score: the day to score as of (default: the lake's last day with a check-in)
  -h, --help           this text

In AWS set ANALYTICS_ENGINE=athena, ATHENA_WORKGROUP, GLUE_DATABASE and LAKE_URI=s3://bucket/.
`;

class UsageError extends Error {}

const DAYS = /^\d{1,3}$/;
function days(flag: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  if (!DAYS.test(raw) || Number(raw) < min || Number(raw) > 365) throw new UsageError(`--${flag} must be a whole number of days from ${min} to 365, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function modelKinds(raw: string | undefined): readonly ModelKind[] {
  if (raw === undefined) return DEFAULT_SETTINGS.models;
  const kinds = raw.split(',').map((k) => k.trim());
  const unknown = kinds.filter((k) => !(MODEL_KINDS as readonly string[]).includes(k));
  if (kinds.length === 0 || unknown.length > 0) throw new UsageError(`--models takes ${MODEL_KINDS.join(' and/or ')}, comma-separated; ${JSON.stringify(unknown[0] ?? raw)} is not one`);
  return kinds as ModelKind[];
}

function open(values: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv, repoRoot: string): AnalyticsContext {
  return openAnalytics({
    lake: (values.lake as string | undefined) ?? env.LAKE_URI ?? join(repoRoot, '.data', 'lake'),
    timeZone: (values['time-zone'] as string | undefined) ?? env.STUDIO_TIME_ZONE ?? 'America/New_York',
    engine: env.ANALYTICS_ENGINE, athenaWorkGroup: env.ATHENA_WORKGROUP, glueDatabase: env.GLUE_DATABASE,
  });
}

/** A bar when a person watches, a line per step for logs (ECS, CI). */
function progress(): { update: ProgressFn; stop: () => void } {
  if (!process.stderr.isTTY) return { update: (step, done, total) => process.stderr.write(`${done}/${total} ${step}\n`), stop: () => {} };
  const bar = new cliProgress.SingleBar({ stream: process.stderr, format: 'features and labels |{bar}| {value}/{total} cut-offs | {step}', hideCursor: true }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update: (step, done, total) => {
      if (!started) bar.start(total, 0, { step });
      started = true;
      bar.update(done, { step });
    },
    stop: () => started && bar.stop(),
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The evaluation as a studio manager reads it, model and baseline side by side. */
export function evaluationReport(m: ChurnModel): string {
  const lines = [
    `Model ${m.version}, trained ${m.trainedAt}: churn within ${m.horizonDays} days (${m.inactivityDays} days without a visit, or a cancellation).`,
    `Trained on ${m.trainingWindow.trainRows.toLocaleString('en-US')} member-days from cut-offs ${m.trainingWindow.trainCutoffs[0]} … ${m.trainingWindow.trainCutoffs.at(-1)}; evaluated on the members of ${m.trainingWindow.validationCutoff}.`,
    '',
    'labels          scorer                       ROC AUC  PR AUC   Brier  top-10% lift  churn rate',
  ];
  const row = (labels: string, pair: EvaluationPair | undefined) => {
    if (!pair) return;
    for (const [name, e] of [['model', pair.model], ['days since last visit', pair.baseline]] as const) {
      lines.push(`${labels.padEnd(15)} ${name.padEnd(28)} ${e.rocAuc.toFixed(3).padStart(7)} ${e.prAuc.toFixed(3).padStart(7)} ${e.brier.toFixed(4).padStart(7)} ${e.liftTopDecile.toFixed(2).padStart(13)} ${pct(e.baseRate).padStart(11)}`);
    }
  };
  row('lake', m.evaluation.lake);
  row('ground truth', m.evaluation.truth);
  lines.push('', `Candidates, fitted on the same rows. Chosen: ${m.choice}.`);
  for (const c of m.candidates) {
    const truth = c.validation.truth ? `, ground truth ${c.validation.truth.rocAuc.toFixed(3)}` : '';
    lines.push(`  ${c.chosen ? '*' : ' '} ${MODEL_KIND_NAMES[c.kind].padEnd(24)} calibration ${c.calibrationRocAuc.toFixed(3)} · validation: lake ${c.validation.lake.rocAuc.toFixed(3)}${truth} · fit ${c.fitSeconds.toFixed(1)} s`);
  }
  lines.push('', 'Calibration (lake labels): of the members the model gave about X%, Y% churned');
  for (const b of m.evaluation.lake.model.reliability) lines.push(`  decile ${String(b.bin).padStart(2)}: predicted ${pct(b.meanPredicted).padStart(6)}, churned ${pct(b.observedRate).padStart(6)} (${b.count} members)`);
  return lines.join('\n');
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env, repoRoot = resolve(import.meta.dirname, '../../..')): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ allowPositionals: true; options: Record<string, { type: 'string' | 'boolean'; short?: string }> }>>;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true,
      options: {
        lake: { type: 'string' }, 'time-zone': { type: 'string' }, truth: { type: 'string' }, horizon: { type: 'string' }, inactivity: { type: 'string' },
        confirm: { type: 'string' }, step: { type: 'string' }, models: { type: 'string' }, 'as-of': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || command === undefined) {
    process.stdout.write(HELP);
    return values.help ? 0 : 2;
  }
  if (!['train', 'score', 'report'].includes(command) || positionals.length > 1) {
    process.stderr.write(`error: unknown command ${JSON.stringify(positionals.join(' '))}; use train, score or report\n`);
    return 2;
  }
  let ctx: AnalyticsContext | undefined;
  try {
    const settings: TrainingSettings = {
      ...DEFAULT_SETTINGS,
      horizonDays: days('horizon', values.horizon as string | undefined, DEFAULT_SETTINGS.horizonDays, 1),
      inactivityDays: days('inactivity', values.inactivity as string | undefined, DEFAULT_SETTINGS.inactivityDays, 7),
      confirmDays: days('confirm', values.confirm as string | undefined, DEFAULT_SETTINGS.confirmDays, 0),
      stepDays: days('step', values.step as string | undefined, DEFAULT_SETTINGS.stepDays, 1),
      models: modelKinds(values.models as string | undefined),
    };
    const asOf = values['as-of'] as string | undefined;
    if (asOf !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(asOf)) throw new UsageError(`--as-of must be a date written YYYY-MM-DD, got ${JSON.stringify(asOf)}`);
    ctx = open(values, env, repoRoot);
    if (command === 'train') {
      const truth = values.truth ? await readTruth(values.truth as string) : undefined;
      const bar = progress();
      const started = performance.now();
      const data = await collectTrainingData(ctx.engine, settings, bar.update).finally(bar.stop);
      const model = await fitChurnModel(data, settings, truth);
      const decision = await registerModel(ctx.lake, model, data.validation);
      process.stdout.write(`${evaluationReport(model)}\n\n${decision.promoted ? 'PROMOTED' : 'NOT PROMOTED'}: ${decision.reason}. Champion: ${decision.champion}. (${((performance.now() - started) / 1000).toFixed(1)} s, lake ${ctx.where})\n`);
    } else if (command === 'score') {
      const s = await runScoring(ctx.engine, ctx.lake, asOf ? { asOf } : {});
      process.stdout.write(`Scored ${s.members.toLocaleString('en-US')} members as of ${s.asOf} with ${s.modelVersion}: ${s.bands.high} high, ${s.bands.medium} medium, ${s.bands.low} low risk → ${s.key}\n`);
      for (const [loc, l] of Object.entries(s.byLocation).sort()) {
        process.stdout.write(`  ${loc.padEnd(16)} ${String(l.members).padStart(6)} members  mean risk ${pct(l.meanScore).padStart(6)}  high ${String(l.high).padStart(5)}  medium ${String(l.medium).padStart(5)}\n`);
      }
    } else {
      const champion = await loadChampion(ctx.lake);
      const registry = await readRegistry(ctx.lake);
      process.stdout.write(`${evaluationReport(champion)}\n\nRegistry (${registry.entries.length} trained):\n`);
      for (const e of registry.entries) process.stdout.write(`  ${e.decidedAt}  ${e.version}  ROC AUC ${e.rocAuc.toFixed(3)}  ${e.promoted ? 'promoted' : 'kept, not promoted'}: ${e.reason}\n`);
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof AnalyticsSettingsError || err instanceof LabelWindowError || err instanceof NoModelError || err instanceof ModelFileError) {
      process.stderr.write(`error: ${err.message}\n`);
      return err instanceof UsageError || err instanceof AnalyticsSettingsError ? 2 : 1;
    }
    throw err;
  } finally {
    await ctx?.engine.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main(process.argv.slice(2));
