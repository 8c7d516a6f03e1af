import t from 'tap';
import { fromText, isoTimestamp, normaliseType } from '@peak/analytics';

t.test('timestamp text from either engine becomes the UTC instant it names', async (t) => {
  const cases: [string, string][] = [
    ['2026-06-30 22:30:00', '2026-06-30T22:30:00.000Z'], // DuckDB TIMESTAMP, Athena timestamp: UTC by convention
    ['2026-06-30 22:30:00.123456', '2026-06-30T22:30:00.123Z'],
    ['2026-06-30 22:30:00+00', '2026-06-30T22:30:00.000Z'], // DuckDB TIMESTAMPTZ in a UTC session
    ['2026-06-30 18:30:00-04', '2026-06-30T22:30:00.000Z'],
    ['2026-06-30 22:30:00+05:30', '2026-06-30T17:00:00.000Z'],
    ['2026-06-30 22:30:00.000 UTC', '2026-06-30T22:30:00.000Z'], // Athena timestamp with time zone
    ['2026-01-05 01:52:40.000 America/New_York', '2026-01-05T06:52:40.000Z'], // winter: UTC−5
    ['2026-06-30 18:30:00.5 America/New_York', '2026-06-30T22:30:00.500Z'], // summer: UTC−4
    ['2026-03-08 03:30:00 America/New_York', '2026-03-08T07:30:00.000Z'], // just after the spring-forward gap
    ['0001-01-01 00:00:00', '0001-01-01T00:00:00.000Z'],
    ['2026-06-30T22:30:00Z', '2026-06-30T22:30:00.000Z'],
  ];
  for (const [text, iso] of cases) t.equal(isoTimestamp(text), iso, text);
  for (const odd of ['garbage', 'infinity', '2026-06-30 22:30:00 Mars/Olympus', '12026-01-01 00:00:00']) t.equal(isoTimestamp(odd), odd, `${odd}: kept as it came`);
});

t.test('type names of both engines map to one set; text values to numbers, booleans, dates', async (t) => {
  t.same(['timestamp(3) with time zone', 'TIMESTAMP WITH TIME ZONE', 'decimal(12,2)', 'HUGEINT', 'varchar(64)', 'array(varchar)', 'INTEGER[]', 'map(varchar, integer)'].map(normaliseType),
    ['TIMESTAMP', 'TIMESTAMP', 'DECIMAL', 'BIGINT', 'VARCHAR', 'ARRAY', 'ARRAY', 'OTHER']);
  t.same([fromText('12.50', 'DECIMAL'), fromText('true', 'BOOLEAN'), fromText('2026-01-05', 'DATE'), fromText(null, 'BIGINT'), fromText('-Infinity', 'DOUBLE')], [12.5, true, '2026-01-05', null, -Infinity]);
});
