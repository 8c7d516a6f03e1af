/**
 * Just enough of Docker's file formats to test ours without Docker: a Dockerfile as stages of instructions, and a
 * .dockerignore as a matcher. The tests use them on the repo's own files (test/images/*.test.ts).
 */

export interface Instruction {
  keyword: string;
  /** The instruction's text after the keyword, continuation lines joined. */
  args: string;
  line: number;
}

export interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

/** Instructions in order (comments and parser directives dropped, `\` continuations joined), split at each FROM. */
export function parseDockerfile(text: string): Stage[] {
  const instructions: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) {
      i++;
      const next = lines[i]!.trim();
      if (next.startsWith('#')) continue; // a comment inside a continued instruction is dropped by Docker too
      line = `${line.slice(0, -1).trimEnd()} ${next}`;
    }
    const m = /^(\S+)\s*(.*)$/.exec(line)!;
    instructions.push({ keyword: m[1]!.toUpperCase(), args: m[2]!, line: start + 1 });
  }
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`line ${ins.line}: cannot read FROM ${ins.args}`);
      stages.push({ image: m[1]!, ...(m[2] ? { name: m[2] } : {}), instructions: [] });
    } else if (stages.length === 0) {
      if (ins.keyword !== 'ARG') throw new Error(`line ${ins.line}: ${ins.keyword} before the first FROM`);
    } else {
      stages.at(-1)!.instructions.push(ins);
    }
  }
  return stages;
}

/** A COPY/ADD's flags (`--from=build` → from: 'build'), sources and destination (shell or JSON form). */
export function parseCopy(args: string): { flags: Record<string, string>; sources: string[]; dest: string } {
  const words = args.trim().startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/).filter(Boolean);
  const flags: Record<string, string> = {};
  while (words[0]?.startsWith('--')) {
    const [k, v = ''] = words.shift()!.slice(2).split('=');
    flags[k!] = v;
  }
  if (words.length < 2) throw new Error(`COPY needs a source and a destination: ${args}`);
  return { flags, sources: words.slice(0, -1), dest: words.at(-1)! };
}

/** An exec-form (JSON array) CMD/ENTRYPOINT/HEALTHCHECK CMD; undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  const s = args.trim();
  if (!s.startsWith('[')) return undefined;
  return JSON.parse(s) as string[];
}

/** `ENV A=1 B=2` (and the old `ENV A 1`) as a record. */
export function parseEnv(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!args.includes('=')) {
    const [k, ...v] = args.split(/\s+/);
    out[k!] = v.join(' ');
    return out;
  }
  for (const m of args.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g)) out[m[1]!] = m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!;
  return out;
}

/** Every ENV of a stage, later ones winning. */
export const stageEnv = (stage: Stage): Record<string, string> =>
  Object.assign({}, ...stage.instructions.filter((i) => i.keyword === 'ENV').map((i) => parseEnv(i.args))) as Record<string, string>;

/** The last instruction of a kind in a stage. */
export const last = (stage: Stage, keyword: string): Instruction | undefined => stage.instructions.filter((i) => i.keyword === keyword).at(-1);

/** One .dockerignore pattern as a regular expression over a clean, relative, `/`-separated path. */
function patternRegex(pattern: string): RegExp {
  const segments = pattern.split('/').filter((s) => s !== '' && s !== '.');
  const glob = (seg: string): string => seg.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  let re = '';
  segments.forEach((seg, i) => {
    const lastSegment = i === segments.length - 1;
    // `**` is any number of folders, none included: "**/x" matches "x" and "a/b/x", "a/**" matches "a" and below.
    if (seg === '**') re += lastSegment ? (i === 0 ? '.*' : '(?:/.*)?') : i === 0 ? '(?:[^/]+/)*' : '(?:/[^/]+)*';
    else re += (i > 0 && !(i === 1 && segments[0] === '**') ? '/' : '') + glob(seg);
  });
  return new RegExp(`^${re}$`);
}

/**
 * Docker's rules for the build context: each line a pattern (Go filepath.Match plus `**`), leading `/` ignored, `!`
 * re-includes, the last matching line wins, and a path is excluded when it or any of its parent folders is.
 */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l).trim().replace(/^\/+/, '');
      return { negate, re: patternRegex(pattern) };
    });
  const matches = (path: string): boolean => {
    let excluded = false;
    for (const r of rules) if (r.re.test(path)) excluded = !r.negate;
    return excluded;
  };
  return (path: string): boolean => {
    const parts = path.replace(/^\.?\/+/, '').replace(/\/+$/, '').split('/');
    for (let i = 1; i <= parts.length; i++) if (matches(parts.slice(0, i).join('/'))) return true;
    return false;
  };
}
