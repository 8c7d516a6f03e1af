import t from 'tap';
import { buildCsv, csvCell, csvFileName, defuse, MEMBER_CSV_HEADER, membersCsv } from '../src/csv.js';
import { fakeMembers } from '../dev/fake-churn.js';
import type { AtRiskMember } from '../src/api.js';

/** A small RFC 4180 reader, to check that what we write reads back as the same cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}

t.test('plain cells stay plain; commas, quotes, line breaks and edge spaces are quoted', async (t) => {
  t.equal(csvCell('Ava'), 'Ava');
  t.equal(csvCell('Müller'), 'Müller');
  t.equal(csvCell('Smith, Jr.'), '"Smith, Jr."');
  t.equal(csvCell('say "hi"'), '"say ""hi"""');
  t.equal(csvCell('two\nlines'), '"two\nlines"');
  t.equal(csvCell('cr\rhere'), '"cr\rhere"');
  t.equal(csvCell(' padded'), '" padded"');
  t.equal(csvCell('padded '), '"padded "');
  t.equal(csvCell(''), '');
  t.equal(csvCell(null), '');
  t.equal(csvCell(undefined), '');
});

t.test('numbers are written as numbers; non-finite ones as empty', async (t) => {
  t.equal(csvCell(0.7312), '0.7312');
  t.equal(csvCell(-3), '-3', 'a negative number is not a formula');
  t.equal(csvCell(0), '0');
  t.equal(csvCell(Number.NaN), '');
  t.equal(csvCell(Number.POSITIVE_INFINITY), '');
});

t.test('a text cell that a spreadsheet would run as a formula is defused', async (t) => {
  t.equal(csvCell('=cmd()'), "'=cmd()");
  t.equal(csvCell('=cmd|" /C calc"!A0'), `"'=cmd|"" /C calc""!A0"`, 'defused and then quoted');
  t.equal(csvCell('+1+1'), "'+1+1");
  t.equal(csvCell('-2+3'), "'-2+3");
  t.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
  t.equal(csvCell('\t=1'), "'\t=1", 'a leading tab (a tab inside needs no quotes)');
  t.equal(csvCell('\r=1'), `"'\r=1"`, 'a leading carriage return');
  t.equal(csvCell('  =1+1'), "'  =1+1", 'spaces before the formula');
  t.equal(csvCell('a=b'), 'a=b', 'an = inside is harmless');
  t.equal(defuse('O@home'), 'O@home');
});

t.test('rows end with CRLF, header first, and read back as the same cells', async (t) => {
  const csv = buildCsv(['a', 'b'], [['1', 2], ['x,y', 'he said "no"\nthen left'], [null, '=cmd()']]);
  t.equal(csv, 'a,b\r\n1,2\r\n"x,y","he said ""no""\nthen left"\r\n,\'=cmd()\r\n');
  t.same(parseCsv(csv), [['a', 'b'], ['1', '2'], ['x,y', 'he said "no"\nthen left'], ['', "'=cmd()"]]);
  t.equal(buildCsv(['only'], []), 'only\r\n', 'no rows: the header alone');
});

t.test('the members download: one row per member, score and percent, up to three factors', async (t) => {
  const m: AtRiskMember = {
    memberId: 'M1', firstName: '=HYPERLINK("http://x","y")', lastName: 'Doe, "Jr."', homeLocationId: 'downtown', plan: 'unlimited',
    score: 0.73126, band: 'high', factors: ['last visit 21 days ago', 'visits down: 2 vs 8', 'no app use', 'a fourth'],
  };
  const rows = parseCsv(membersCsv([m, { ...m, memberId: 'M2', firstName: 'Al', lastName: 'Bo', score: 0.05, band: 'low', factors: [] }]));
  t.same(rows[0], [...MEMBER_CSV_HEADER]);
  t.same(rows[1], ['M1', `'=HYPERLINK("http://x","y")`, 'Doe, "Jr."', 'downtown', 'unlimited', '0.7313', '73.1', 'high', 'last visit 21 days ago', 'visits down: 2 vs 8', 'no app use']);
  t.same(rows[2], ['M2', 'Al', 'Bo', 'downtown', 'unlimited', '0.05', '5', 'low', '', '', '']);
  t.equal(rows.length, 3);
  t.same(parseCsv(membersCsv([{ ...m, firstName: null, lastName: null, plan: null }]))[1]!.slice(0, 5), ['M1', '', '', 'downtown', ''], 'unknown names and plan: empty cells');
  const many = fakeMembers(300);
  t.equal(parseCsv(membersCsv(many)).length, 301, 'every member a row, whatever their names');
});

t.test('file names carry the filter and the day, with safe characters only', async (t) => {
  t.equal(csvFileName({}, '2026-12-06'), 'churn-risk_all-studios_all-bands_2026-12-06.csv');
  t.equal(csvFileName({ location: 'downtown', band: 'high' }, '2026-12-06'), 'churn-risk_downtown_high_2026-12-06.csv');
  t.equal(csvFileName({ location: '../etc/pass wd' }, ''), 'churn-risk_..-etc-pass-wd_all-bands_undated.csv');
  t.equal(csvFileName({ location: '///' }, '2026-12-06'), 'churn-risk_x_all-bands_2026-12-06.csv');
});
