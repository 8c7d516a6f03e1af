export type { Label, Numbers } from './checks.js';
export { fitScaler, standardise, type FeatureRow, type Scaler } from './scaler.js';
export { contributions, fitLogistic, logit, probability, sigmoid, type LogisticModel, type LogisticOptions } from './logistic.js';
export { applyIsotonic, applyPlatt, fitIsotonic, fitPlatt, type Isotonic, type Platt } from './calibration.js';
export { DEFAULT_BOOSTING, BoostedTreesFormatError, readBoostedTrees, trainBoostedTrees, treeContributions, treeMargin, type BoostingParams, type TreeEnsemble } from './boosted-trees.js';
export { averagePrecision, brierScore, evaluate, liftAtTop, logLoss, reliabilityTable, rocAuc, rocAucStandardError, type Evaluation, type ReliabilityBin } from './metrics.js';
