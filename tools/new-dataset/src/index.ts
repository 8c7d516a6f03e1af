export { datasetNames, type DatasetNames } from './names.js';
export { nextSteps, planScaffold, render, REPO_ROOT, TEMPLATE_DIR, TEMPLATES, writeScaffold, type ScaffoldFile } from './scaffold.js';
export { NewDatasetError, newDatasetErrorCodes, type NewDatasetErrorCode } from './errors.js';
