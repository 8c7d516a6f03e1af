/**
 * Why an email could not be rendered. Every code is the request's fault, not the notifier's: retrying the same
 * request gives the same error, so a consumer should fail it for good (and report the message) rather than redeliver.
 */
export const TEMPLATE_ERROR_CODES = ['UNKNOWN_TEMPLATE', 'MISSING_VARIABLE', 'BAD_VARIABLE'] as const;
export type TemplateErrorCode = (typeof TEMPLATE_ERROR_CODES)[number];

/** One thing wrong with the input; `variable` is a template variable, or `links.<field>` for the caller's render input. */
export interface TemplateIssue {
  code: Exclude<TemplateErrorCode, 'UNKNOWN_TEMPLATE'>;
  variable: string;
  message: string;
}

export class TemplateError extends Error {
  override readonly name = 'TemplateError';

  constructor(
    readonly code: TemplateErrorCode,
    message: string,
    readonly template: string,
    /** Every problem found (empty for UNKNOWN_TEMPLATE); `code` is MISSING_VARIABLE when any is missing. */
    readonly issues: readonly TemplateIssue[] = [],
  ) {
    super(message);
  }

  /** All the problems of one input as one error: MISSING_VARIABLE wins over BAD_VARIABLE (fix those first). */
  static fromIssues(template: string, issues: readonly TemplateIssue[]): TemplateError {
    const code = issues.some((i) => i.code === 'MISSING_VARIABLE') ? 'MISSING_VARIABLE' : 'BAD_VARIABLE';
    const head = `email template ${JSON.stringify(template)}: `;
    const message = issues.length === 1 ? head + issues[0]!.message : `${head}${issues.length} problems: ${issues.map((i) => i.message).join('; ')}`;
    return new TemplateError(code, message, template, issues);
  }
}
