import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/** When the budget notifies: 80% of the month's limit actually spent, and a forecast of the whole limit by month's end. */
export const BUDGET_NOTIFICATIONS = [
  { notificationType: 'ACTUAL', threshold: 80 },
  { notificationType: 'FORECASTED', threshold: 100 },
] as const;

/** The monthly limit in whole US dollars when stack config `budgetMonthlyUsd` is absent. */
export const DEFAULT_BUDGET_MONTHLY_USD = 100;

/** Stack config `budgetMonthlyUsd`: a whole number of dollars ≥ 1; absent: DEFAULT_BUDGET_MONTHLY_USD. */
export function parseBudgetMonthlyUsd(text: string | undefined, key = 'peak-fitness:budgetMonthlyUsd'): number {
  if (text === undefined) return DEFAULT_BUDGET_MONTHLY_USD;
  const usd = /^\d{1,7}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!(usd >= 1)) throw new Error(`${key} must be a whole number of US dollars, at least 1 (the month's cost that alerts at 80% spent and 100% forecast); got ${JSON.stringify(text)}`);
  return usd;
}

export interface BudgetArgs {
  /** Physical name prefix (`peak-<stage>`): the budget is `<prefix>-monthly-cost`. */
  prefix: string;
  /** The month's limit in whole US dollars (stack config `budgetMonthlyUsd`). */
  monthlyUsd: number;
  /** Where the notifications go: the Alerts topic (its policy lets budgets.amazonaws.com publish). */
  alertTopicArn: pulumi.Input<string>;
  tags?: Record<string, string>;
}

/**
 * The cost guard: an AWS Budgets monthly COST budget of the whole account (unblended, credits and refunds excluded so they
 * cannot hide a runaway), notifying the alert topic at 80% actual and 100% forecasted spend.
 */
export class Budget extends pulumi.ComponentResource {
  readonly budget: aws.budgets.Budget;
  readonly budgetName: pulumi.Output<string>;

  constructor(name: string, args: BudgetArgs, opts?: pulumi.ComponentResourceOptions) {
    super('peak:monitoring:Budget', name, {}, opts);
    if (!Number.isInteger(args.monthlyUsd) || args.monthlyUsd < 1) throw new Error(`${name}: monthlyUsd must be a whole number of dollars ≥ 1; got ${args.monthlyUsd}`);
    this.budget = new aws.budgets.Budget(
      `${name}-monthly-cost`,
      {
        name: `${args.prefix}-monthly-cost`,
        budgetType: 'COST',
        timeUnit: 'MONTHLY',
        limitAmount: args.monthlyUsd.toFixed(2),
        limitUnit: 'USD',
        // What is spent, not what is billed after credits: a credit running out must not look like a cost jump, nor hide one.
        costTypes: { includeCredit: false, includeRefund: false },
        notifications: BUDGET_NOTIFICATIONS.map((n) => ({
          notificationType: n.notificationType,
          comparisonOperator: 'GREATER_THAN',
          threshold: n.threshold,
          thresholdType: 'PERCENTAGE',
          subscriberSnsTopicArns: [args.alertTopicArn],
        })),
        tags: { ...(args.tags ?? {}), component: 'budget' },
      },
      { parent: this },
    );
    this.budgetName = this.budget.name;
    this.registerOutputs({ budgetName: this.budgetName });
  }
}
