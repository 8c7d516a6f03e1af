import { columnMeta, type DatasetContract, type DatasetName } from '@peak/contracts';
import type { Rng } from './rng.js';

export type Format = 'csv' | 'json' | 'ndjson';

/** Defects on one row; their manifest entry has the physical line. */
export const ROW_DEFECTS = [
  'bad_date', 'missing_id', 'unknown_member_id', 'unknown_class_id', 'negative_amount', 'non_numeric_amount',
  'duplicate_row', 'extra_column', 'missing_column', 'latin1_text', 'unterminated_quote', 'malformed_line',
] as const;
/** Defects of a whole file; their manifest entry has no line. */
export const FILE_DEFECTS = ['wrong_column_order', 'crlf_line_endings', 'utf8_bom'] as const;
export const DEFECT_KINDS = [...ROW_DEFECTS, ...FILE_DEFECTS] as const;
export type RowDefect = (typeof ROW_DEFECTS)[number];
export type FileDefect = (typeof FILE_DEFECTS)[number];
export type DefectKind = RowDefect | FileDefect;

export type DefectEntry = {
  /** Path relative to the output folder, e.g. `exports/signups.csv`. */
  file: string;
  dataset: DatasetName;
  kind: DefectKind;
  /** 1-based physical line in the file as written (row-level defects). */
  line?: number;
  /** Contract column the defect is in, when it is in one. */
  column?: string;
  /** Primary key of the affected row, when the row still carries it. */
  key?: string;
  detail: string;
};

/** Columns whose text may hold accented names; a row of such names can be written as Latin-1. */
export const LATIN1_COLUMNS = ['first_name', 'last_name', 'instructor_name'] as const;

/** Per-file plan: which defects this file gets and where. Row choices are made while writing. */
export type FilePlan = {
  rng: Rng;
  rate: number;
  /** Row defects that can hit any row of this file at `rate` (unterminated_quote is tail-only). */
  rowKinds: RowDefect[];
  /** Kinds this file must show at least once: the first eligible row at or after the index gets it. */
  forced: Map<RowDefect, number>;
  unterminatedAtEnd: boolean;
  bom: boolean;
  crlf: boolean;
  /** Column order written instead of the contract's (wrong_column_order). */
  permutation: number[] | undefined;
  unknownMemberId: () => string;
  unknownClassId: () => string;
};

export type PlannedFile = { dataset: DatasetName; contract: DatasetContract; format: Format; knownRows: number | undefined };

/** Row defects that make sense for a dataset in a format. */
export function applicableRowDefects(contract: DatasetContract, format: Format): RowDefect[] {
  const sql = contract.columns.map((c) => columnMeta(contract.row.properties[c] as never)['x-sql']);
  const refs = new Set(contract.references.map((r) => r.dataset));
  const kinds: RowDefect[] = ['missing_id', 'duplicate_row', 'extra_column', 'missing_column'];
  if (sql.includes('DATE') || sql.includes('TIMESTAMP')) kinds.push('bad_date');
  if (refs.has('members')) kinds.push('unknown_member_id');
  if (refs.has('classes')) kinds.push('unknown_class_id');
  if (sql.includes('DECIMAL(12,2)')) kinds.push('negative_amount', 'non_numeric_amount');
  if (contract.columns.some((c) => (LATIN1_COLUMNS as readonly string[]).includes(c))) kinds.push('latin1_text');
  if (format === 'ndjson') kinds.push('malformed_line');
  return kinds;
}

/**
 * Decides which file gets which defect. Every kind that applies to at least one written file is
 * forced into one of them near its start, so small outputs still show each kind once.
 */
export function planDefects(
  files: readonly PlannedFile[],
  rate: number,
  rng: Rng,
  ids: { members: number; classes: number },
): Map<DatasetName, FilePlan> {
  const plans = new Map<DatasetName, FilePlan>();
  if (rate <= 0) return plans;
  for (const f of files) {
    plans.set(f.dataset, {
      rng,
      rate,
      rowKinds: applicableRowDefects(f.contract, f.format),
      forced: new Map(),
      unterminatedAtEnd: false,
      bom: false,
      crlf: false,
      permutation: undefined,
      // Ids past the last real one, so they are well-formed but name nothing.
      unknownMemberId: () => `M${String(ids.members + rng.int(1, 900_000)).padStart(6, '0')}`,
      unknownClassId: () => `C${String(ids.classes + rng.int(1, 9_000_000)).padStart(7, '0')}`,
    });
  }
  const forcedCount = new Map<DatasetName, number>();
  const leastLoaded = (candidates: PlannedFile[]): PlannedFile => {
    // Spread forced kinds over files, ties broken at random.
    const shuffled = rng.shuffle([...candidates]);
    shuffled.sort((a, b) => (forcedCount.get(a.dataset) ?? 0) - (forcedCount.get(b.dataset) ?? 0));
    return shuffled[0] as PlannedFile;
  };
  for (const kind of ROW_DEFECTS) {
    if (kind === 'unterminated_quote') continue;
    const candidates = files.filter((f) => plans.get(f.dataset)?.rowKinds.includes(kind));
    if (candidates.length === 0) continue;
    const f = leastLoaded(candidates);
    forcedCount.set(f.dataset, (forcedCount.get(f.dataset) ?? 0) + 1);
    const span = Math.max(1, Math.min(f.knownRows ?? 60, 60));
    plans.get(f.dataset)?.forced.set(kind, rng.int(0, span - 1));
  }
  const csv = files.filter((f) => f.format === 'csv');
  const pickFile = (from: PlannedFile[], taken: Set<DatasetName>): PlannedFile | undefined => {
    if (from.length === 0) return undefined;
    const fresh = from.filter((f) => !taken.has(f.dataset));
    return rng.pick(fresh.length > 0 ? fresh : from);
  };
  const taken = new Set<DatasetName>();
  const unterminated = pickFile(csv, taken);
  if (unterminated) {
    (plans.get(unterminated.dataset) as FilePlan).unterminatedAtEnd = true;
    taken.add(unterminated.dataset);
  }
  const reordered = pickFile(csv, taken);
  if (reordered) {
    const plan = plans.get(reordered.dataset) as FilePlan;
    const n = reordered.contract.columns.length;
    let perm = rng.shuffle([...Array(n).keys()]);
    // A shuffle can come out in order; rotate so the file really differs.
    if (perm.every((v, i) => v === i)) perm = [...perm.slice(1), perm[0] as number];
    plan.permutation = perm;
    taken.add(reordered.dataset);
  }
  const crlf = pickFile([...files], taken);
  if (crlf) {
    (plans.get(crlf.dataset) as FilePlan).crlf = true;
    taken.add(crlf.dataset);
  }
  const bom = pickFile([...files], taken);
  if (bom) (plans.get(bom.dataset) as FilePlan).bom = true;
  return plans;
}

/** A date/timestamp rendered the ways broken exports do (US order, zero dates, impossible days). */
export function badDate(value: string, sql: 'DATE' | 'TIMESTAMP', rng: Rng): string {
  const [y, mo, d] = [value.slice(0, 4), value.slice(5, 7), value.slice(8, 10)];
  const time = value.slice(11, 16);
  const variants =
    sql === 'DATE'
      ? [`${mo}/${d}/${y}`, `${d}.${mo}.${y}`, '0000-00-00', `${y}-02-30`, `${y}-13-${d}`, 'N/A']
      : [`${mo}/${d}/${y} ${time}`, `${d}.${mo}.${y} ${time}`, '0000-00-00 00:00:00', `${y}-02-30T${time}:00Z`, `${y}-${mo}-${d}T25:${time.slice(3)}:00Z`, 'N/A'];
  return rng.pick(variants);
}

export function nonNumericAmount(amount: string, rng: Rng): string {
  return rng.pick([amount.replace('.', ','), `$${amount}`, `${amount} USD`, 'N/A', amount.replace(/0/g, 'O')].filter((v) => Number.isNaN(Number(v))));
}
