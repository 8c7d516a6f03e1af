/**
 * renderEmail: one template + its variables + the caller's links and footer → the subject, HTML and text parts of an
 * SES "Simple" message. Validates first (TemplateError), then renders the body into the shared layout (the body is the
 * layout's `content` partial, so nothing already rendered is ever re-inserted unescaped).
 */
import Handlebars from 'handlebars';
import type { EmailTemplate } from '@peak/contracts';
import { FIRST_NAME_FALLBACK, PREHEADER_MAX_LENGTH, SUBJECT_MAX_LENGTH, TOPIC_LABELS, type TemplateSpec, type TemplateValues } from './catalog.js';
import { capLine, cleanLine } from './format.js';
import { loadTemplates } from './sources.js';
import { type RenderInput, validateRenderInput, validateVariables } from './validate.js';

export interface RenderedEmail {
  /** One line: no CR/LF, whitespace collapsed, at most SUBJECT_MAX_LENGTH characters. */
  subject: string;
  html: string;
  text: string;
}

/**
 * A checked http(s) URL (validate.ts: parsed and re-serialised by the WHATWG parser) as the value of a double-quoted
 * href: `&` → `&amp;`, and the few characters that could end the attribute or the tag percent-encoded (the parser has
 * already encoded them, this is a second lock). Handlebars' own escaping would also turn `=` into `&#x3D;`: valid HTML,
 * but link-rewriting click trackers are known to choke on such entities, and a broken unsubscribe link is the one
 * thing an email must not have. Only ever built from a URL that passed safeUrl().
 */
export function hrefAttribute(url: string): Handlebars.SafeString {
  const encoded = url.replace(/["<>`\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`).replace(/&/g, '&amp;');
  return new Handlebars.SafeString(encoded);
}

/** The context every source sees (besides the template's variables and derived values). */
function view(template: EmailTemplate, spec: TemplateSpec, values: TemplateValues, input: RenderInput): Record<string, unknown> {
  const footer = validateRenderInput(template, input);
  const name = typeof values.firstName === 'string' ? values.firstName : '';
  const ctaUrl = typeof values.ctaUrl === 'string' ? values.ctaUrl : null;
  const ctaLabel = typeof values.ctaLabel === 'string' ? values.ctaLabel : spec.ctaLabel;
  return {
    ...values,
    ...spec.view?.(values),
    name,
    greetingName: name === '' ? FIRST_NAME_FALLBACK : name,
    locationName: footer.locationName,
    postalAddress: footer.postalAddress,
    // *Url for the text version, *Href for HTML attributes
    unsubscribeUrl: footer.unsubscribeUrl,
    unsubscribeHref: hrefAttribute(footer.unsubscribeUrl),
    preferencesUrl: footer.preferencesUrl,
    preferencesHref: hrefAttribute(footer.preferencesUrl),
    topicLabel: TOPIC_LABELS[footer.topic ?? spec.topic],
    cta: ctaUrl === null ? null : { url: ctaUrl, href: hrefAttribute(ctaUrl), label: ctaLabel },
  };
}

/** Plain text as an email wants it: no trailing spaces, at most one blank line in a row, one final newline. */
function tidyText(text: string): string {
  return `${text
    .replace(/\r\n?/g, '\n')
    .replace(/[^\S\n]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}

/**
 * Renders `template` for one member. `variables` are the request's (checked against the catalog: unknown template,
 * missing, mistyped, over-long or unknown variables throw a TemplateError); `input` carries the member's unsubscribe and
 * preferences links and the studio's name and postal address for the footer.
 */
export function renderEmail(template: string, variables: Readonly<Record<string, unknown>>, input: RenderInput): RenderedEmail {
  const { spec, values } = validateVariables(template, variables);
  const name = template as EmailTemplate;
  const compiled = loadTemplates();
  const sources = compiled.emails[name];
  const context = view(name, spec, values, input);

  // One-line parts first (plain text), then handed to the layouts as data: escaped in HTML, as is in text.
  const subject = capLine(sources.subject(context), SUBJECT_MAX_LENGTH);
  const preheader = capLine(sources.preheader(context), PREHEADER_MAX_LENGTH);
  const reason = cleanLine(sources.reason(context));
  const page = { ...context, subject, preheader, reason };

  return {
    subject,
    html: compiled.layout.html(page, { partials: { content: sources.html } }),
    text: tidyText(compiled.layout.text(page, { partials: { content: sources.text } })),
  };
}
