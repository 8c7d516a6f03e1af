export {
  EMAIL_CATALOG,
  FIRST_NAME_FALLBACK,
  PREHEADER_MAX_LENGTH,
  SAMPLE_RENDER_INPUT,
  SUBJECT_MAX_LENGTH,
  TOPIC_LABELS,
  URL_MAX_LENGTH,
  templateSpec,
  type TemplateSpec,
  type TemplateValues,
  type VariableSpec,
} from './catalog.js';
export { TemplateError, TEMPLATE_ERROR_CODES, type TemplateErrorCode, type TemplateIssue } from './errors.js';
export { renderEmail, type RenderedEmail } from './render.js';
export { loadTemplates } from './sources.js';
export { validateRenderInput, validateVariables, type RenderInput } from './validate.js';
