import { addressOf, splitAddressList } from './addresses.js';
import { badRequest, notFound } from './errors.js';
import { headerValue, headerValues, rawHeaders } from './mime.js';

export type Header = { name: string; value: string };
export type Tag = { name: string; value: string };
export type ContentKind = 'Simple' | 'Raw' | 'Template';

/** A SendEmail request the sandbox accepted as well-formed, with every recipient as a bare address. */
export type SendRequest = {
  kind: ContentKind;
  /** FromEmailAddress as given (or the Raw message's From header). */
  from: string;
  fromAddress: string;
  replyTo: string[];
  to: string[];
  cc: string[];
  bcc: string[];
  /** Simple: the subject and bodies; Raw/Template: filled in from the inner emulator's copy when it has one. */
  subject?: string;
  html?: string;
  text?: string;
  /** Simple/Template: `Headers` as given; Raw: the message's own header block. */
  headers: Header[];
  tags: Tag[];
  configurationSet?: string;
  template?: { name?: string; arn?: string; data?: string };
};

/** SES's documented limit on recipients per message (To + Cc + Bcc). */
export const MAX_RECIPIENTS = 50;
/** At most 15 custom headers: documented for `Template.Headers`, assumed for `Message.Headers` (research §1). */
export const MAX_HEADERS = 15;
const TAG_PART = /^[A-Za-z0-9_-]{1,256}$/;
/** Printable ASCII 33–126 except `:` (the client model's `MessageHeader.Name`). */
const HEADER_NAME = /^[\x21-\x39\x3b-\x7e]{1,126}$/;
/** Printable ASCII (space included); no control characters, so no CR/LF injection. */
const HEADER_VALUE = /^[\x20-\x7e]{0,995}$/;
/** Fields SES's header rules say "can't appear more than once" that matter here (research §1, [headers]). */
const ONCE_ONLY = ['list-unsubscribe', 'list-unsubscribe-post'];
/**
 * Headers SES builds itself from the request on Simple/Template content: refused there. The real list is not known
 * (research §1, unverified); this one is deliberately short and holds only fields SES must own to build the MIME.
 */
const SES_OWNED = ['from', 'to', 'cc', 'bcc', 'subject', 'reply-to', 'return-path', 'mime-version', 'content-type', 'content-transfer-encoding'];

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const optionalString = (v: unknown, what: string): string | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badRequest(`${what} must be a string.`);
  return v;
};
const stringList = (v: unknown, what: string): string[] => {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw badRequest(`${what} must be a list of strings.`);
  return v as string[];
};

function address(mailbox: string, what: string): string {
  const found = addressOf(mailbox);
  // Wording unverified: SES v1 said "Illegal address" / "Missing final '@domain'".
  if (!found) throw badRequest(`Illegal address in ${what}: ${JSON.stringify(mailbox)}`);
  return found;
}

/** `EmailTags`: names and values of `[A-Za-z0-9_-]`, at most 256 characters each (client model `MessageTag`). */
export function checkTags(value: unknown): Tag[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw badRequest('EmailTags must be a list of {Name, Value}.');
  return value.map((tag: unknown, i) => {
    if (!isObject(tag) || typeof tag.Name !== 'string' || typeof tag.Value !== 'string') throw badRequest(`EmailTags[${i}] must have a string Name and Value.`);
    if (!TAG_PART.test(tag.Name)) throw badRequest(`Invalid tag name <${tag.Name}>: only alphanumeric ASCII characters, '_', and '-' are allowed, at most 256.`);
    if (!TAG_PART.test(tag.Value)) throw badRequest(`Invalid tag value <${tag.Value}>: only alphanumeric ASCII characters, '_', and '-' are allowed, at most 256.`);
    return { name: tag.Name, value: tag.Value };
  });
}

/** `Headers` of Simple and Template content (client model `MessageHeader`, research §1). */
export function checkHeaders(value: unknown): Header[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw badRequest('Headers must be a list of {Name, Value}.');
  if (value.length > MAX_HEADERS) throw badRequest(`Too many headers: ${value.length}; at most ${MAX_HEADERS} are allowed.`);
  const headers = value.map((h: unknown, i) => {
    if (!isObject(h) || typeof h.Name !== 'string' || typeof h.Value !== 'string') throw badRequest(`Headers[${i}] must have a string Name and Value.`);
    if (!HEADER_NAME.test(h.Name)) throw badRequest(`Invalid header name <${h.Name}>: printable ASCII without ':', 1 to 126 characters.`);
    if (!HEADER_VALUE.test(h.Value)) throw badRequest(`Invalid value for header ${h.Name}: printable ASCII, at most 995 characters.`);
    if (h.Name.length + h.Value.length > 996) throw badRequest(`Header ${h.Name} is too long: name and value together must not exceed 996 characters.`);
    if (SES_OWNED.includes(h.Name.toLowerCase())) throw badRequest(`Header ${h.Name} is set by SES and can't be given in Headers.`);
    return { name: h.Name, value: h.Value };
  });
  checkOnceOnly(headers);
  return headers;
}

function checkOnceOnly(headers: readonly Header[]): void {
  for (const name of ONCE_ONLY) {
    const count = headers.filter((h) => h.name.toLowerCase() === name).length;
    if (count > 1) throw badRequest(`Duplicate header '${headers.find((h) => h.name.toLowerCase() === name)?.name}': it can't appear more than once.`);
  }
}

function contentData(v: unknown, what: string, required: boolean): string | undefined {
  if (v === undefined || v === null) {
    if (required) throw badRequest(`${what} is required.`);
    return undefined;
  }
  if (!isObject(v) || typeof v.Data !== 'string') throw badRequest(`${what} must be {Data, Charset?}.`);
  return v.Data;
}

/**
 * Checks a SendEmail body as `@aws-sdk/client-sesv2` serialises `SendEmailCommand` input (member names as in the
 * model; `Raw.Data` base64) where it matters to the notifier; throws SES's BadRequestException (or NotFoundException
 * for a contact list, which the sandbox has none of). The texts are the sandbox's: SES's own are not documented.
 */
export function parseSendEmail(body: unknown): SendRequest {
  if (!isObject(body)) throw badRequest('The request body must be a JSON object.');
  const content = body.Content;
  if (!isObject(content)) throw badRequest('Content is required: one of Simple, Raw or Template.');
  const kinds = (['Simple', 'Raw', 'Template'] as const).filter((k) => content[k] !== undefined && content[k] !== null);
  const kind = kinds[0];
  if (kinds.length !== 1 || !kind) throw badRequest(`Content must have exactly one of Simple, Raw or Template; got ${kinds.length === 0 ? 'none' : kinds.join(', ')}.`);

  const tags = checkTags(body.EmailTags);
  const configurationSet = optionalString(body.ConfigurationSetName, 'ConfigurationSetName');
  const list = body.ListManagementOptions;
  if (isObject(list) && typeof list.ContactListName === 'string') throw notFound(`List ${list.ContactListName} does not exist.`);

  const destination = body.Destination ?? {};
  if (!isObject(destination)) throw badRequest('Destination must be {ToAddresses?, CcAddresses?, BccAddresses?}.');
  let to = stringList(destination.ToAddresses, 'Destination.ToAddresses');
  let cc = stringList(destination.CcAddresses, 'Destination.CcAddresses');
  let bcc = stringList(destination.BccAddresses, 'Destination.BccAddresses');
  const replyTo = stringList(body.ReplyToAddresses, 'ReplyToAddresses');
  let from = optionalString(body.FromEmailAddress, 'FromEmailAddress');

  let headers: Header[] = [];
  let subject: string | undefined;
  let html: string | undefined;
  let text: string | undefined;
  let template: SendRequest['template'];
  const part = content[kind];
  if (!isObject(part)) throw badRequest(`Content.${kind} must be an object.`);

  if (kind === 'Simple') {
    subject = contentData(part.Subject, 'Content.Simple.Subject', true);
    const bodyPart = part.Body;
    if (!isObject(bodyPart)) throw badRequest('Content.Simple.Body is required.');
    html = contentData(bodyPart.Html, 'Content.Simple.Body.Html', false);
    text = contentData(bodyPart.Text, 'Content.Simple.Body.Text', false);
    if (html === undefined && text === undefined) throw badRequest('Content.Simple.Body must have Html, Text or both.');
    headers = checkHeaders(part.Headers);
  } else if (kind === 'Template') {
    const name = optionalString(part.TemplateName, 'TemplateName');
    const arn = optionalString(part.TemplateArn, 'TemplateArn');
    const data = optionalString(part.TemplateData, 'TemplateData');
    if (!name && !arn && !isObject(part.TemplateContent)) throw badRequest('Template needs TemplateName, TemplateArn or TemplateContent.');
    if (data !== undefined) {
      try {
        JSON.parse(data);
      } catch {
        throw badRequest('TemplateData is not valid JSON.');
      }
    }
    template = { ...(name ? { name } : {}), ...(arn ? { arn } : {}), ...(data !== undefined ? { data } : {}) };
    headers = checkHeaders(part.Headers);
  } else {
    if (typeof part.Data !== 'string' || part.Data === '') throw badRequest('Content.Raw.Data is required (the MIME message, base64-encoded).');
    const decoded = Buffer.from(part.Data, 'base64').toString('utf8');
    const parsed = rawHeaders(decoded);
    if (!parsed || parsed.length === 0) throw badRequest('Content.Raw.Data is not a MIME message: it must start with header fields.');
    checkOnceOnly(parsed);
    headers = parsed;
    subject = headerValue(parsed, 'Subject');
    from ??= headerValue(parsed, 'From');
    // SES takes the recipients from the headers when Destination gives none.
    if (to.length + cc.length + bcc.length === 0) {
      to = headerValues(parsed, 'To').flatMap(splitAddressList);
      cc = headerValues(parsed, 'Cc').flatMap(splitAddressList);
      bcc = headerValues(parsed, 'Bcc').flatMap(splitAddressList);
    }
  }

  if (!from) throw badRequest('Missing required parameter: FromEmailAddress.');
  const fromAddress = address(from, 'FromEmailAddress');
  const count = to.length + cc.length + bcc.length;
  if (count === 0) throw badRequest('Missing required parameter: at least one recipient (Destination.ToAddresses, CcAddresses or BccAddresses).');
  if (count > MAX_RECIPIENTS) throw badRequest(`Recipient count exceeds ${MAX_RECIPIENTS}.`);
  for (const r of replyTo) address(r, 'ReplyToAddresses');

  return {
    kind,
    from,
    fromAddress,
    replyTo,
    to: to.map((a) => address(a, 'Destination.ToAddresses')),
    cc: cc.map((a) => address(a, 'Destination.CcAddresses')),
    bcc: bcc.map((a) => address(a, 'Destination.BccAddresses')),
    ...(subject !== undefined ? { subject } : {}),
    ...(html !== undefined ? { html } : {}),
    ...(text !== undefined ? { text } : {}),
    headers,
    tags,
    ...(configurationSet !== undefined ? { configurationSet } : {}),
    ...(template ? { template } : {}),
  };
}

/** Every recipient of a request, To then Cc then Bcc. */
export const recipientsOf = (r: Pick<SendRequest, 'to' | 'cc' | 'bcc'>) => [...r.to, ...r.cc, ...r.bcc];
