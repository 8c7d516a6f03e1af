import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import t, { type Test } from 'tap';
import { EMAIL_TEMPLATES, EMAIL_TOPICS, type EmailTemplate } from '@peak/contracts';
import {
  EMAIL_CATALOG,
  FIRST_NAME_FALLBACK,
  loadTemplates,
  renderEmail,
  SAMPLE_RENDER_INPUT,
  SUBJECT_MAX_LENGTH,
  TemplateError,
  TOPIC_LABELS,
  type RenderInput,
  type TemplateErrorCode,
} from '../src/templates/index.js';
import { capLine, cleanBlock, cleanLine, ordinal, paragraphs, plural } from '../src/templates/format.js';
import { hrefAttribute } from '../src/templates/render.js';
import { compileSource, RUNTIME_OPTIONS, SOURCES_DIR } from '../src/templates/sources.js';
import { main as previewMain, writePreviews } from '../src/templates/preview-cli.js';

const input: RenderInput = SAMPLE_RENDER_INPUT;
const sample = (template: EmailTemplate, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ ...EMAIL_CATALOG[template].sample, ...extra });
/** The required variables only (optional ones left out), from the sample. */
const requiredOnly = (template: EmailTemplate): Record<string, unknown> =>
  Object.fromEntries(Object.entries(EMAIL_CATALOG[template].sample).filter(([name]) => EMAIL_CATALOG[template].variables[name]?.required));
/** How a URL must appear in an href: `&` as `&amp;`, nothing else changed. */
const href = (url: string) => `href="${url.replaceAll('&', '&amp;')}"`;
/** Markup: a tag or comment start. The text version has none of its own. */
const TAG = /<\/?[a-z!][^>]*>/i;
const HOSTILE_NAMES = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "' onmouseover='alert(1)",
  '{{constructor}}',
  '{{constructor.constructor "return process"}}',
  '__proto__',
  'Sam\r\nBcc: victim@example.com',
  'Eve\u2028Subject: hi\u0085x\u000bz',
];

/** Every statement of a parsed Handlebars source, nested blocks included. */
type Statement = { type: string; escaped?: boolean; name?: { original?: unknown }; path?: { original?: unknown }; program?: { body: Statement[] }; inverse?: { body: Statement[] } };
function statements(program: { body: unknown[] }): Statement[] {
  return (program.body as Statement[]).flatMap((s) => [s, ...(s.program ? statements(s.program) : []), ...(s.inverse ? statements(s.inverse) : [])]);
}

function throwsTemplateError(t: Test, fn: () => unknown, code: TemplateErrorCode, mentions: string[] = [], what: string = code): TemplateError | undefined {
  try {
    fn();
  } catch (error) {
    t.type(error, TemplateError, `${what}: a TemplateError`);
    const e = error as TemplateError;
    t.equal(e.code, code, `${what}: code ${code} (${e.message})`);
    for (const m of mentions) t.match(e.message, m, `${what}: message mentions ${m}`);
    return e;
  }
  t.fail(`${what}: expected a TemplateError ${code}, nothing was thrown`);
  return undefined;
}

t.test('catalog: one entry per contract template, one label per topic, sources for each', async (t) => {
  t.same(Object.keys(EMAIL_CATALOG).sort(), [...EMAIL_TEMPLATES].sort(), 'EMAIL_CATALOG has exactly the EMAIL_TEMPLATES of the contract');
  for (const template of EMAIL_TEMPLATES) {
    const spec = EMAIL_CATALOG[template];
    t.ok(spec, `${template} has a catalog entry`);
    t.ok(spec.description.length > 10 && spec.subject !== '' && spec.ctaLabel !== '', `${template}: description, subject and button label`);
    t.ok((EMAIL_TOPICS as readonly string[]).includes(spec.topic), `${template}: topic ${spec.topic} is a contract topic`);
    for (const [name, v] of Object.entries(spec.variables)) {
      t.match(name, /^[A-Za-z][A-Za-z0-9_]{0,63}$/, `${template}.${name}: a name the contract allows`);
      t.ok(v.description.length > 5, `${template}.${name}: described`);
    }
    for (const kind of ['html', 'text']) t.ok(existsSync(new URL(`${template}.${kind}.hbs`, SOURCES_DIR)), `${template}.${kind}.hbs exists`);
  }
  t.same(Object.keys(TOPIC_LABELS).sort(), [...EMAIL_TOPICS].sort(), 'a footer label for every topic');
  t.equal(loadTemplates(), loadTemplates(), 'compiled once, then reused');
});

t.test('sources: no triple-stash or unescaped block anywhere, no dynamic partials or lookups', async (t) => {
  const dir = fileURLToPath(SOURCES_DIR);
  const files = readdirSync(dir).filter((f) => f.endsWith('.hbs'));
  t.equal(files.length, EMAIL_TEMPLATES.length * 2 + 2, 'an html and a text source per template plus the two layouts');
  const lines = EMAIL_TEMPLATES.flatMap((name) => [EMAIL_CATALOG[name].subject, EMAIL_CATALOG[name].preheader, EMAIL_CATALOG[name].reason]);
  for (const [what, source] of [...files.map((f) => [f, readFileSync(join(dir, f), 'utf8')] as const), ...lines.map((l) => [l, l] as const)]) {
    const found = statements(Handlebars.parse(source));
    t.same(found.filter((s) => s.type === 'MustacheStatement' && s.escaped === false), [], `${what}: no {{{ }}} or {{& }}`);
    t.same(
      found.filter((s) => s.type === 'PartialStatement' || s.type === 'PartialBlockStatement').map((s) => s.name?.original),
      what.startsWith('layout.') ? ['content'] : [],
      `${what}: the only partial is the layout's content`,
    );
    t.same(found.filter((s) => s.path?.original === 'lookup' || s.path?.original === 'log'), [], `${what}: no lookup/log helper`);
  }
  t.same(
    { ...RUNTIME_OPTIONS },
    { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false, allowedProtoProperties: {}, allowedProtoMethods: {} },
    'prototype access is refused explicitly at run time',
  );
});

t.test('compiled sources: strict, no prototype access, no dynamic helpers', async (t) => {
  for (const kind of ['html', 'text'] as const) {
    for (const source of ['{{constructor}}', '{{a.constructor}}', '{{a.__proto__}}', '{{a.toString}}', '{{a.__defineGetter__}}']) {
      t.equal(compileSource(source, kind)({ a: {} }), '', `${kind}: ${source} resolves to nothing`);
    }
    t.throws(() => compileSource('{{a.constructor.constructor}}', kind)({ a: {} }), /"constructor" not defined in undefined/, `${kind}: no way to the Function constructor`);
    t.throws(() => compileSource('{{missing}}', kind)({}), /"missing" not defined/, `${kind}: a missing variable is an error (strict)`);
    t.throws(() => compileSource('{{lookup a "constructor"}}', kind)({ a: {} }), /unknown helper lookup/, `${kind}: no lookup helper`);
    t.throws(() => compileSource('{{log a}}', kind)({ a: 1 }), /unknown helper log/, `${kind}: no log helper`);
    t.throws(() => compileSource('{{#if a}}', kind), /email template source/, `${kind}: a syntax error shows at load`);
  }
  t.equal(compileSource('{{a}}', 'html')({ a: '<b a="1">\'`=&' }), '&lt;b a&#x3D;&quot;1&quot;&gt;&#x27;&#x60;&#x3D;&amp;', 'html escapes');
  t.equal(compileSource('{{a}}', 'text')({ a: '<b a="1">&' }), '<b a="1">&', 'text does not');
  t.equal(compileSource('{{a}}', 'text')({ a: '{{constructor}}' }), '{{constructor}}', 'a value is never evaluated as a template');
});

t.test('every template renders with its sample variables', async (t) => {
  for (const template of EMAIL_TEMPLATES) {
    const email = renderEmail(template, sample(template), input);
    const vars = EMAIL_CATALOG[template].sample as Record<string, unknown>;
    t.ok(email.subject.length > 0 && email.html.length > 0 && email.text.length > 0, `${template}: subject, html and text`);
    t.notMatch(email.subject, /[\r\n\p{Cc}]/u, `${template}: subject is one line`);
    t.ok(email.subject.length <= SUBJECT_MAX_LENGTH, `${template}: subject within ${SUBJECT_MAX_LENGTH} characters`);
    t.match(email.html, /^<!DOCTYPE html>/, `${template}: an HTML document`);
    t.match(email.html, `<title>`, `${template}: a title`);
    t.match(email.html, 'mso-hide: all', `${template}: a hidden preheader`);
    t.match(email.html, 'max-width: 600px', `${template}: 600px wide at most`);
    t.match(email.html, 'Peak Fitness', `${template}: brand`);
    t.ok(email.html.includes(href(input.unsubscribeUrl)), `${template}: unsubscribe link in HTML`);
    t.ok(email.html.includes(href(input.preferencesUrl)), `${template}: preferences link in HTML`);
    t.ok(email.text.includes(input.unsubscribeUrl), `${template}: unsubscribe link written out in text`);
    t.ok(email.text.includes(input.preferencesUrl), `${template}: preferences link written out in text`);
    t.ok(email.html.includes(input.postalAddress) && email.text.includes(input.postalAddress), `${template}: postal address in both`);
    t.ok(email.html.includes(input.locationName) && email.text.includes(input.locationName), `${template}: studio name in both`);
    t.match(email.html, `Unsubscribe from ${TOPIC_LABELS[EMAIL_CATALOG[template].topic]}`.replaceAll('"', '&quot;'), `${template}: names the topic it unsubscribes from`);
    t.notMatch(email.text, TAG, `${template}: text has no markup`);
    t.notMatch(email.text, /&(amp|lt|gt|quot|#x27|#x3D);/, `${template}: text is not HTML-escaped`);
    t.match(email.text, `Hi ${vars.firstName},`, `${template}: greets by first name`);
    if (typeof vars.ctaUrl === 'string') {
      t.ok(email.html.includes(href(vars.ctaUrl)), `${template}: button link in HTML`);
      t.ok(email.text.includes(vars.ctaUrl), `${template}: button link written out in text`);
    }
    t.match(email.text, /\n$/, `${template}: text ends with a newline`);
    t.notMatch(email.text, /\n{3}/, `${template}: at most one blank line in a row`);
  }
});

t.test('every template renders with only its required variables; the name falls back to "there"', async (t) => {
  for (const template of EMAIL_TEMPLATES) {
    const email = renderEmail(template, requiredOnly(template), input);
    t.match(email.text, `Hi ${FIRST_NAME_FALLBACK},`, `${template}: "Hi there," without a name`);
    t.match(email.html, `Hi ${FIRST_NAME_FALLBACK},`, `${template}: also in HTML`);
    t.notMatch(email.subject, /, there\b|,\s*$|,\s*:/, `${template}: the subject doesn't address "there"`);
    for (const blank of ['', '   ', '\r\n\t']) {
      t.match(renderEmail(template, { ...requiredOnly(template), firstName: blank }, input).text, `Hi ${FIRST_NAME_FALLBACK},`, `${template}: blank name ${JSON.stringify(blank)} → there`);
    }
  }
  const nudge = renderEmail('first_visit_nudge', requiredOnly('first_visit_nudge'), input);
  t.notMatch(nudge.text, 'Not sure where to start', 'optional paragraph left out without suggestedClass');
  t.match(renderEmail('first_visit_nudge', sample('first_visit_nudge'), input).text, 'Try Beginner Spin on Tuesdays at 6 pm.', 'and there with it');
  const news = renderEmail('location_news', requiredOnly('location_news'), input);
  t.notMatch(news.html, 'class="pf-button"', 'location_news without ctaUrl has no button');
});

t.test('personalisation: stats, ordinals and counts', async (t) => {
  t.same([1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 100, 101, 111, 112, 1001].map(ordinal), [
    '1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '23rd', '100th', '101st', '111th', '112th', '1,001st',
  ]);
  t.equal(plural(1, 'day'), '1 day');
  t.equal(plural(1204, 'day'), '1,204 days');
  t.equal(plural(1, 'class', 'classes'), '1 class');

  const win = renderEmail('win_back', sample('win_back', { daysSinceLastVisit: 45 }), input);
  t.match(win.text, "It's been 45 days", 'days since the last visit');
  t.match(win.text, 'your Spin crew', 'the class they went to');
  t.match(renderEmail('win_back', sample('win_back', { daysSinceLastVisit: 1 }), input).text, "It's been 1 day\n", 'singular day');

  const climb = renderEmail('leaderboard_climb', sample('leaderboard_climb', { oldRank: 23, newRank: 1, weekLabel: 'week of 9 March' }), input);
  t.equal(climb.subject, `You climbed to 1st on the ${input.locationName} leaderboard`);
  t.match(climb.text, 'for the week of 9 March, you moved up 22 places: from 23rd to 1st.');
  t.match(climb.html, '>23rd<', 'old rank in the HTML stat');

  const milestone = renderEmail('milestone', sample('milestone', { milestone: 100 }), input);
  t.match(milestone.subject, /^Your 100th class at /);
  t.match(milestone.text, "That's 100 times you showed up");
  t.match(renderEmail('milestone', sample('milestone', { milestone: 10 }), input).subject, 'Your 10th class');

  const habit = renderEmail('habit', sample('habit'), input);
  t.equal(habit.subject, '3 classes down, Maya: keep it going');
  t.match(renderEmail('habit', sample('habit', { classesAttended: 1 }), input).text, '1 class done.');

  t.match(renderEmail('welcome', sample('welcome'), input).subject, `Welcome to ${input.locationName}, Maya`);
  t.equal(renderEmail('welcome', requiredOnly('welcome'), input).subject, `Welcome to ${input.locationName}`, 'no dangling comma without a name');
});

t.test('hostile names are escaped in HTML, verbatim in text, never markup, never a second subject line', async (t) => {
  for (const template of EMAIL_TEMPLATES) {
    for (const name of HOSTILE_NAMES) {
      const email = renderEmail(template, sample(template, { firstName: name }), input);
      // (escaped: a raw U+2028 or NEL in a test name would break the TAP stream)
      const what = `${template} / ${JSON.stringify(name).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}`;
      t.notMatch(email.html, /<script|<img|onerror=|onmouseover=/i, `${what}: no markup from the name in HTML`);
      t.notMatch(email.subject, /[\r\n\u2028\u2029\p{Cc}]/u, `${what}: no line break in the subject`);
      if (name.includes('{{') || name === '__proto__') {
        t.ok(email.text.includes(name), `${what}: literally in text (not evaluated)`);
        t.ok(email.html.includes(name.replaceAll('"', '&quot;').replaceAll('=', '&#x3D;')), `${what}: literally in HTML`);
      }
    }
  }
  const script = renderEmail('win_back', sample('win_back', { firstName: '<script>alert(1)</script>' }), input);
  t.match(script.html, 'Hi &lt;script&gt;alert(1)&lt;/script&gt;,', 'escaped in HTML');
  t.match(script.text, 'Hi <script>alert(1)</script>,', 'verbatim in text (text/plain is not HTML)');
  t.equal(script.subject, `We miss you at ${input.locationName}, <script>alert(1)</script>`, 'plain text in the subject');

  const img = renderEmail('welcome', sample('welcome', { firstName: '"><img src=x onerror=alert(1)>' }), input);
  t.match(img.html, 'Hi &quot;&gt;&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;,', 'attribute breakout escaped');
  t.match(img.html, '<title>Welcome to Peak Fitness Downtown, &quot;&gt;&lt;img', 'escaped in <title> too');

  const crlf = renderEmail('welcome', sample('welcome', { firstName: 'Sam\r\nBcc: victim@example.com' }), input);
  t.equal(crlf.subject, `Welcome to ${input.locationName}, Sam Bcc: victim@example.com`, 'CR/LF collapsed to a space in the subject');
  t.match(crlf.text, 'Hi Sam Bcc: victim@example.com,', 'and on one line in the text (no forged lines)');

  const bidi = renderEmail('welcome', sample('welcome', { firstName: 'Ma\u202Eya\u0000\u001b[31m' }), input);
  t.notOk(['\u202E', '\u0000', '\u001b'].some((c) => (bidi.text + bidi.subject + bidi.html).includes(c)), 'bidi overrides and control characters dropped');
});

t.test('staff announcements: escaped, split into paragraphs in HTML, kept as written in text', async (t) => {
  const body = 'Big news: <b>new</b> classes & <a href="javascript:alert(1)">a link</a>\n\nSecond "paragraph" {{constructor}}\r\n\r\n\r\nTimes:\nMon 6 am\nTue 7 am\n\n   \n\nLast one';
  const email = renderEmail('location_news', sample('location_news', { title: 'Pool <em>reopens</em>\r\nBcc: x@example.com', body }), input);
  t.notMatch(email.html, /<b>|<a href="javascript|<em>/, 'no staff markup in HTML');
  t.match(email.html, '>Pool &lt;em&gt;reopens&lt;/em&gt; Bcc: x@example.com</h1>', 'title escaped, one line');
  t.equal(email.subject, `${input.locationName}: Pool <em>reopens</em> Bcc: x@example.com`, 'subject one line, plain text');
  const paras = [...email.html.matchAll(/<p style="margin: 0 0 16px 0;">(.*?)<\/p>/g)].map((m) => m[1]);
  t.same(paras.slice(1), [
    'Big news: &lt;b&gt;new&lt;/b&gt; classes &amp; &lt;a href&#x3D;&quot;javascript:alert(1)&quot;&gt;a link&lt;/a&gt;',
    'Second &quot;paragraph&quot; {{constructor}}',
    'Times:<br>Mon 6 am<br>Tue 7 am',
    'Last one',
  ], 'one <p> per paragraph (blank lines, CRLF and whitespace-only lines all split), <br> for single breaks, all escaped');
  t.match(
    email.text,
    'Big news: <b>new</b> classes & <a href="javascript:alert(1)">a link</a>\n\nSecond "paragraph" {{constructor}}\n\nTimes:\nMon 6 am\nTue 7 am\n\nLast one\n',
    'text keeps the body as written (line breaks normalised), unescaped and unevaluated',
  );
  t.match(email.html, /mso-hide: all[^>]*>Big news: &lt;b&gt;new/, 'preheader from the body, escaped');

  t.same(paragraphs('a\n\n\nb\r\nc'), [['a'], ['b', 'c']]);
  t.equal(cleanBlock('x\u2028y\t\u0007z  \n\n\n\nw'), 'x\ny z\n\nw');
});

t.test('subjects: one line, collapsed whitespace, capped', async (t) => {
  const long = renderEmail('location_news', sample('location_news', { title: 'Word '.repeat(19) + 'end' }), { ...input, locationName: 'L'.repeat(60) });
  t.ok(long.subject.length <= SUBJECT_MAX_LENGTH, `capped (${long.subject.length})`);
  t.match(long.subject, /…$/, 'ends with an ellipsis');
  t.notMatch(long.subject, / …$/, 'cut at a word, no space before the ellipsis');
  t.equal(renderEmail('welcome', sample('welcome', { firstName: '  Ana \t  Lu \v ' }), input).subject, `Welcome to ${input.locationName}, Ana Lu`);
  t.equal(cleanLine('a\r\n\u2028\u2029\u0085\tb'), 'a b');
  t.equal(capLine('x'.repeat(200), 10), `${'x'.repeat(9)}…`);
  t.equal(capLine('😀'.repeat(20), 5).length, '😀😀😀😀…'.length, 'never splits a surrogate pair');
});

t.test('links: validated, written as hrefs with only & escaped, never a javascript: URL', async (t) => {
  t.equal(hrefAttribute('https://a.example/x?a=1&b=2').toHTML(), 'https://a.example/x?a=1&amp;b=2');
  const sneaky = renderEmail('welcome', sample('welcome', { ctaUrl: 'https://a.example/?q="><script>alert(1)</script>' }), input);
  t.notMatch(sneaky.html, /<script/, 'a URL cannot break out of the href');
  t.match(sneaky.html, 'href="https://a.example/?q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E"', 'the parser percent-encoded it');
  for (const bad of ['javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', '/relative/path', 'https://user:pw@a.example/', 'https://a.example/ x', 'ftp://a.example/']) {
    throwsTemplateError(t, () => renderEmail('welcome', sample('welcome', { ctaUrl: bad }), input), 'BAD_VARIABLE', ['ctaUrl'], `ctaUrl ${bad}`);
  }
  throwsTemplateError(t, () => renderEmail('welcome', sample('welcome'), { ...input, unsubscribeUrl: 'javascript:alert(1)' }), 'BAD_VARIABLE', ['links.unsubscribeUrl']);
  throwsTemplateError(t, () => renderEmail('welcome', sample('welcome'), { ...input, preferencesUrl: '' }), 'MISSING_VARIABLE', ['links.preferencesUrl']);
  throwsTemplateError(t, () => renderEmail('welcome', sample('welcome'), { ...input, postalAddress: '  ' }), 'MISSING_VARIABLE', ['links.postalAddress']);
  throwsTemplateError(t, () => renderEmail('welcome', sample('welcome'), { ...input, locationName: 'x'.repeat(101) }), 'BAD_VARIABLE', ['links.locationName']);
  const moved = renderEmail('win_back', sample('win_back'), { ...input, topic: 'leaderboard' });
  t.match(moved.html, 'Unsubscribe from leaderboard updates', "the request's topic names the unsubscribe link when given");
  const address = renderEmail('welcome', sample('welcome'), { ...input, postalAddress: '1 <b>Main</b> St\r\nSpringfield' });
  t.match(address.html, '1 &lt;b&gt;Main&lt;/b&gt; St Springfield', 'postal address escaped and on one line');
});

t.test('validation errors: code and a message that says what to fix', async (t) => {
  for (const name of ['nope', 'Welcome', '__proto__', 'constructor', 'toString', '']) {
    throwsTemplateError(t, () => renderEmail(name, {}, input), 'UNKNOWN_TEMPLATE', ['welcome, first_visit_nudge'], `template ${JSON.stringify(name)}`);
  }
  const missing = throwsTemplateError(t, () => renderEmail('win_back', { firstName: 'Maya', ctaUrl: 'https://a.example/' }, input), 'MISSING_VARIABLE', [
    'daysSinceLastVisit',
    'required but missing',
    'whole number from 1 to 3650',
  ]);
  t.same(missing?.issues.map((i) => i.variable), ['daysSinceLastVisit']);
  t.equal(missing?.template, 'win_back');

  const cases: [EmailTemplate, Record<string, unknown>, TemplateErrorCode, string[]][] = [
    ['win_back', { daysSinceLastVisit: '45' }, 'BAD_VARIABLE', ['daysSinceLastVisit', 'a JSON number', 'got a string']],
    ['win_back', { daysSinceLastVisit: 4.5 }, 'BAD_VARIABLE', ['whole number']],
    ['win_back', { daysSinceLastVisit: 0 }, 'BAD_VARIABLE', ['from 1 to 3650', 'got the number 0']],
    ['win_back', { daysSinceLastVisit: Number.NaN }, 'BAD_VARIABLE', ['NaN']],
    ['win_back', { firstName: 42 }, 'BAD_VARIABLE', ['firstName', 'text of at most 100']],
    ['win_back', { firstName: 'x'.repeat(101) }, 'BAD_VARIABLE', ['101 characters long', 'at most 100', 'shorten it']],
    ['win_back', { firstname: 'Maya' }, 'BAD_VARIABLE', ['unknown variable "firstname"', 'firstName']],
    ['location_news', { title: '   ' }, 'MISSING_VARIABLE', ['"title" is blank']],
    ['location_news', { body: 'x'.repeat(2001) }, 'BAD_VARIABLE', ['at most 2000']],
    ['location_news', { ctaUrl: undefined, ctaLabel: 'Go' }, 'BAD_VARIABLE', ['ctaLabel', 'without "ctaUrl"']],
    ['leaderboard_climb', { oldRank: 4, newRank: 4 }, 'BAD_VARIABLE', ['newRank', 'better (smaller)']],
    ['leaderboard_climb', { newRank: [1] }, 'BAD_VARIABLE', ['got an array']],
    ['milestone', { milestone: null }, 'BAD_VARIABLE', ['got null']],
  ];
  for (const [template, extra, code, mentions] of cases) {
    const vars = Object.fromEntries(Object.entries(sample(template, extra)).filter(([, v]) => v !== undefined));
    throwsTemplateError(t, () => renderEmail(template, vars, input), code, mentions, `${template} ${JSON.stringify(extra).slice(0, 60)}`);
  }

  const several = throwsTemplateError(t, () => renderEmail('leaderboard_climb', { firstName: 7, oldRank: 'x' }, input), 'MISSING_VARIABLE', ['problems']);
  t.same(several?.issues.map((i) => `${i.code} ${i.variable}`).sort(), [
    'BAD_VARIABLE firstName',
    'BAD_VARIABLE oldRank',
    'MISSING_VARIABLE ctaUrl',
    'MISSING_VARIABLE newRank',
    'MISSING_VARIABLE weekLabel',
  ], 'every problem at once; MISSING_VARIABLE wins');

  const privacy = throwsTemplateError(t, () => renderEmail('welcome', sample('welcome', { firstName: 'Secret Person'.repeat(10) }), input), 'BAD_VARIABLE');
  t.notMatch(privacy?.message ?? '', 'Secret', "the member's text is not echoed in the error (logs)");

  throwsTemplateError(t, () => renderEmail('welcome', JSON.parse('{"__proto__": {"firstName": "x"}, "ctaUrl": "https://a.example/"}') as Record<string, unknown>, input), 'BAD_VARIABLE', ['unknown variable "__proto__"']);
  throwsTemplateError(t, () => renderEmail('welcome', { constructor: 'x', ctaUrl: 'https://a.example/' }, input), 'BAD_VARIABLE', ['unknown variable "constructor"']);
  const inherited = Object.create({ ctaUrl: 'https://a.example/' }) as Record<string, unknown>;
  throwsTemplateError(t, () => renderEmail('welcome', inherited, input), 'MISSING_VARIABLE', ['ctaUrl'], 'inherited properties are not variables');
});

t.test('every sample passes validation and every template compiles at load', async (t) => {
  const compiled = loadTemplates();
  for (const template of EMAIL_TEMPLATES) {
    t.doesNotThrow(() => renderEmail(template, sample(template), input), `${template}: sample is valid`);
    t.type(compiled.emails[template].html, 'function');
  }
});

t.test('preview CLI writes every template as .html and .txt', async (t) => {
  const dir = t.testdir();
  const { index, files } = writePreviews(dir);
  t.equal(files.length, EMAIL_TEMPLATES.length);
  for (const template of EMAIL_TEMPLATES) {
    const html = readFileSync(join(dir, `${template}.html`), 'utf8');
    const text = readFileSync(join(dir, `${template}.txt`), 'utf8');
    t.match(html, /^<!DOCTYPE html>/, `${template}.html`);
    t.match(text, /^Subject: .+\n\nPEAK FITNESS\n/, `${template}.txt starts with its subject`);
  }
  t.match(readFileSync(index, 'utf8'), 'href="leaderboard_climb.html"', 'index links them');

  const out = join(dir, 'via-main');
  const logs: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void logs.push(args.join(' '));
  try {
    t.equal(previewMain(['--out', out], dir), 0);
  } finally {
    console.log = log;
  }
  t.match(logs.join('\n'), join('via-main', 'welcome.html'), 'prints the paths');
  t.ok(existsSync(join(out, 'welcome.txt')));
  const error = console.error;
  console.error = () => undefined;
  try {
    t.equal(previewMain(['--nope'], dir), 2, 'unknown flag → usage error');
  } finally {
    console.error = error;
  }
});
