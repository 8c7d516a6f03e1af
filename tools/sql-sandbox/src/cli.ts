import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { SandboxError } from './errors.js';
import { ALLOWED } from './guard.js';
import { DEFAULT_LAKE_ROOT, DEFAULT_MAX_ROWS, DEFAULT_TIME_ZONE, DEFAULT_TIMEOUT_MS, SqlSandbox, type ViewInfo } from './sandbox.js';
import { formatResult } from './table.js';

const usage = `Read-only SQL over the lake's views (local stand-in for the student_sandbox Athena workgroup).

  npm run sql [-- options]           interactive console
  npm run sql -- -c "SELECT …"       run one query, print it, exit (1 on refusal or error)

Options:
  --lake <folder>       the lake folder holding processed/ (default ${DEFAULT_LAKE_ROOT})
  -c, --command <sql>   run this one query and exit
  --max-rows <n>        rows printed at most (default ${DEFAULT_MAX_ROWS})
  --timeout-ms <n>      time limit per query (default ${DEFAULT_TIMEOUT_MS})
  --time-zone <zone>    the studios' IANA zone for local days and hours (default ${DEFAULT_TIME_ZONE})
  -h, --help            this text`;

const help = `Type a query and end it with ; (it may span lines). Allowed: ${ALLOWED}.
  .tables           the views, with what each holds
  .schema <view>    a view's columns, types and meaning
  .help             this text
  .quit             leave (or Ctrl-D)
Docs and example queries: docs/sandbox.md`;

function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) fail(`${flag} must be a whole number ≥ 1, got ${JSON.stringify(value)}`);
  return n;
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

function printViews(views: ViewInfo[]): void {
  const width = Math.max(...views.map((v) => v.name.length));
  for (const v of views) console.log(`${v.name.padEnd(width)}  ${v.description}`);
}

function printSchema(views: ViewInfo[], name: string): void {
  const view = views.find((v) => v.name === name.toLowerCase());
  if (!view) return console.log(`no view ${JSON.stringify(name)}; the views are: ${views.map((v) => v.name).join(', ')}`);
  console.log(`${view.name}: ${view.description}`);
  const nameWidth = Math.max(...view.columns.map((c) => c.name.length));
  const typeWidth = Math.max(...view.columns.map((c) => c.type.length));
  for (const c of view.columns) console.log(`  ${c.name.padEnd(nameWidth)}  ${c.type.padEnd(typeWidth)}  ${c.description}`);
}

/** Runs one query and prints its table or its error; true when it ran. */
async function run(sandbox: SqlSandbox, sql: string): Promise<boolean> {
  try {
    console.log(formatResult(await sandbox.query(sql)));
    return true;
  } catch (err) {
    if (!(err instanceof SandboxError)) throw err;
    console.error(`${err.code === 'REFUSED' ? 'refused' : err.code === 'TIMEOUT' ? 'timeout' : 'error'}: ${err.message}`);
    return false;
  }
}

async function repl(sandbox: SqlSandbox): Promise<void> {
  const views = await sandbox.views();
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY === true, historySize: 500 });
  let buffer = '';
  const interactive = process.stdin.isTTY === true;
  const prompt = () => {
    if (!interactive) return; // piped input: only the results
    rl.setPrompt(buffer === '' ? 'sql> ' : '...> ');
    rl.prompt();
  };
  // Ctrl-C drops a half-typed query first; on an empty prompt it leaves.
  rl.on('SIGINT', () => {
    if (buffer === '') return rl.close();
    buffer = '';
    process.stdout.write('\n');
    prompt();
  });
  console.log(`SQL sandbox over ${sandbox.lakeRoot} (read-only). .help for help, .tables for the views.`);
  prompt();
  for await (const line of rl) {
    const trimmed = line.trim();
    if (buffer === '' && trimmed.startsWith('.')) {
      const [command, ...args] = trimmed.split(/\s+/);
      if (command === '.quit' || command === '.exit') break;
      else if (command === '.tables') printViews(views);
      else if (command === '.schema' && args[0]) printSchema(views, args[0]);
      else if (command === '.help') console.log(help);
      else console.log(`unknown command ${command}; .help lists them`);
    } else if (trimmed !== '' || buffer !== '') {
      buffer += `${line}\n`;
      if (trimmed.endsWith(';')) {
        const sql = buffer;
        buffer = '';
        await run(sandbox, sql);
      }
    }
    prompt();
  }
  rl.close();
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        lake: { type: 'string' },
        command: { type: 'string', short: 'c' },
        'max-rows': { type: 'string' },
        'timeout-ms': { type: 'string' },
        'time-zone': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return fail(`${(err as Error).message}\n\n${usage}`);
  }
})();
if (values.help) {
  console.log(usage);
  process.exit(0);
}

let sandbox: SqlSandbox;
try {
  sandbox = await SqlSandbox.open({
    lakeRoot: values.lake ?? DEFAULT_LAKE_ROOT,
    timeZone: values['time-zone'],
    maxRows: positiveInt(values['max-rows'], '--max-rows', DEFAULT_MAX_ROWS),
    timeoutMs: positiveInt(values['timeout-ms'], '--timeout-ms', DEFAULT_TIMEOUT_MS),
  });
} catch (err) {
  fail(`sql sandbox: ${(err as Error).message}${err instanceof SandboxError && err.code === 'NO_LAKE' ? '; or pass --lake <folder>' : ''}`);
}
try {
  if (values.command !== undefined) process.exitCode = (await run(sandbox, values.command)) ? 0 : 1;
  else await repl(sandbox);
} finally {
  await sandbox.close();
}
