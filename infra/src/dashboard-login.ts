import { createHash } from 'node:crypto';
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { DEFAULT_LOGIN_SESSION_SECONDS, type LoadBalancerLogin } from './public-load-balancer.js';

/** The load balancer's fixed callback path: it receives the sign-in's code there and exchanges it itself. */
export const ALB_CALLBACK_PATH = '/oauth2/idpresponse';
/** A sign-in lasts a working day by default (stack config `dashboardSessionHours`). */
export const DEFAULT_SESSION_HOURS = DEFAULT_LOGIN_SESSION_SECONDS / 3600;
/** The load balancer keeps an authentication session 7 days at most. */
export const MAX_SESSION_HOURS = 7 * 24;
/** The password policy: long passwords of every character class (NIST 800-63B favours length), MFA on top. */
export const PASSWORD_POLICY = {
  minimumLength: 14,
  requireLowercase: true,
  requireUppercase: true,
  requireNumbers: true,
  requireSymbols: true,
  // The invitation's temporary password: the manager signs in within 3 days or is sent a new one.
  temporaryPasswordValidityDays: 3,
} as const;

// Cognito prefix domains: one DNS label, lowercase letters, digits and hyphens, none of these words.
const DOMAIN_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const RESERVED_IN_PREFIX = ['aws', 'amazon', 'cognito'];
const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export interface DashboardLoginArgs {
  /** Physical name prefix (`peak-<stage>`): the pool is `<prefix>-dashboard`, its domain `<prefix>-login-<hash>`. */
  prefix: string;
  /** The dashboard's host (`leaderboard.<publicDomain>`): the app client's only callback is `https://<host>/oauth2/idpresponse`. */
  host: string;
  /** How long a sign-in lasts at the load balancer; default 12, at most 168 (7 days). */
  sessionHours?: number;
  /** Refuse deleting the pool (its users and their MFA enrolments): as the stack's tables (`tableDeletionProtection`). */
  deletionProtection?: boolean;
  tags?: Record<string, string>;
}

/**
 * The Cognito prefix domain of a stack (prefixes are global per region): `<prefix>-login-` and 10 hex digits hashed from
 * its account and region: unique per account, stable across deploys without a random resource, and without putting the
 * account id in a public URL. Hex digits cannot spell a reserved word.
 */
export function loginDomainPrefix(prefix: string, accountId: string, region: string): string {
  const domain = `${prefix}-login-${createHash('sha256').update(`${accountId}/${region}/${prefix}`).digest('hex').slice(0, 10)}`;
  checkDomainPrefix(domain);
  return domain;
}

function checkDomainPrefix(domain: string): void {
  if (!DOMAIN_PREFIX.test(domain)) throw new Error(`DashboardLogin: the Cognito domain prefix ${JSON.stringify(domain)} must be one DNS label of lowercase letters, digits and hyphens (at most 63)`);
  const reserved = RESERVED_IN_PREFIX.find((word) => domain.includes(word));
  if (reserved) throw new Error(`DashboardLogin: Cognito refuses a domain prefix containing "${reserved}" (${domain}); choose a stage name without it`);
}

/**
 * The dashboard's sign-in: a Cognito user pool the load balancer authenticates the leaderboard's users with
 * (`authenticate-cognito`), since the leaderboard has no authentication of its own and serves member names and churn
 * scores. Studio managers only: an administrator creates each account (no self sign-up), the email address is the user
 * name, passwords are long, and an authenticator app (TOTP) is required — a stolen or reused password alone opens
 * nothing. Cognito's hosted sign-in pages (classic) on a Cognito prefix domain; one app client with a secret for the
 * load balancer's authorization-code flow, scopes `openid email`, callback the load balancer's `/oauth2/idpresponse`.
 */
export class DashboardLogin extends pulumi.ComponentResource {
  readonly userPool: aws.cognito.UserPool;
  readonly domain: aws.cognito.UserPoolDomain;
  readonly client: aws.cognito.UserPoolClient;
  readonly userPoolId: pulumi.Output<string>;
  readonly userPoolArn: pulumi.Output<string>;
  readonly clientId: pulumi.Output<string>;
  /** The sign-in pages' base URL, `https://<prefix>.auth.<region>.amazoncognito.com`. */
  readonly signInUrl: pulumi.Output<string>;
  /** What PublicLoadBalancer's `login` takes. */
  readonly loadBalancerLogin: LoadBalancerLogin;

  constructor(name: string, args: DashboardLoginArgs, opts?: pulumi.ComponentResourceOptions) {
    const hours = args.sessionHours ?? DEFAULT_SESSION_HOURS;
    if (!Number.isInteger(hours) || hours < 1 || hours > MAX_SESSION_HOURS) throw new Error(`DashboardLogin: sessionHours must be whole hours from 1 to ${MAX_SESSION_HOURS}; got ${hours}`);
    if (!HOST.test(args.host)) throw new Error(`DashboardLogin: host must be a lowercase DNS name (leaderboard.<domain>); got ${JSON.stringify(args.host)}`);
    checkDomainPrefix(`${args.prefix}-login-0123456789`);
    super('peak:security:DashboardLogin', name, {}, opts);
    const parent = { parent: this };
    const tags = { ...(args.tags ?? {}), component: 'dashboard-login' };
    const dashboardUrl = `https://${args.host}/`;

    this.userPool = new aws.cognito.UserPool(
      `${name}-pool`,
      {
        name: `${args.prefix}-dashboard`,
        // Lite has all this needs (hosted pages, TOTP, admin-only sign-up) and is the cheapest above the free 10,000 MAUs.
        userPoolTier: 'LITE',
        usernameAttributes: ['email'],
        usernameConfiguration: { caseSensitive: false },
        autoVerifiedAttributes: ['email'],
        adminCreateUserConfig: {
          // No self sign-up: the pool is the list of people allowed to see member data.
          allowAdminCreateUserOnly: true,
          inviteMessageTemplate: {
            emailSubject: 'Your Peak Fitness dashboard account',
            emailMessage: `An account was created for you on the Peak Fitness dashboard, ${dashboardUrl}. Sign in with your email address {username} and the temporary password {####} within ${PASSWORD_POLICY.temporaryPasswordValidityDays} days; you will choose your own password and set up an authenticator app.`,
          },
        },
        passwordPolicy: { ...PASSWORD_POLICY },
        // Required, TOTP only: SMS would need an SNS role and costs per message; email codes need the Essentials plan.
        mfaConfiguration: 'ON',
        softwareTokenMfaConfiguration: { enabled: true },
        accountRecoverySetting: { recoveryMechanisms: [{ name: 'verified_email', priority: 1 }] },
        deletionProtection: (args.deletionProtection ?? true) ? 'ACTIVE' : 'INACTIVE',
        tags,
      },
      parent,
    );
    this.userPoolId = this.userPool.id;
    this.userPoolArn = this.userPool.arn;

    const identity = aws.getCallerIdentityOutput({}, parent);
    const region = aws.getRegionOutput({}, parent);
    this.domain = new aws.cognito.UserPoolDomain(
      `${name}-domain`,
      {
        domain: pulumi.all([identity.accountId, region.region]).apply(([account, r]) => loginDomainPrefix(args.prefix, account, r)),
        userPoolId: this.userPool.id,
        // The classic hosted pages: managed login (2) shows "Login pages unavailable" until a branding style is assigned.
        managedLoginVersion: 1,
      },
      parent,
    );
    this.signInUrl = pulumi.interpolate`https://${this.domain.domain}.auth.${region.region}.amazoncognito.com`;

    this.client = new aws.cognito.UserPoolClient(
      `${name}-client`,
      {
        name: `${args.prefix}-dashboard-load-balancer`,
        userPoolId: this.userPool.id,
        // The load balancer is a confidential client: it exchanges the code at the token endpoint with the secret.
        generateSecret: true,
        allowedOauthFlowsUserPoolClient: true,
        allowedOauthFlows: ['code'],
        allowedOauthScopes: ['openid', 'email'],
        callbackUrls: [`https://${args.host}${ALB_CALLBACK_PATH}`],
        supportedIdentityProviders: ['COGNITO'],
        // The hosted pages sign in with SRP; no plain-password or custom flows for anything else.
        explicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        preventUserExistenceErrors: 'ENABLED',
        enableTokenRevocation: true,
        readAttributes: ['email', 'email_verified'],
      },
      parent,
    );
    this.clientId = this.client.id;

    this.loadBalancerLogin = {
      userPoolArn: this.userPool.arn,
      userPoolClientId: this.client.id,
      userPoolDomain: this.domain.domain,
      sessionTimeoutSeconds: hours * 3600,
    };
    this.registerOutputs({ userPoolId: this.userPoolId, clientId: this.clientId, signInUrl: this.signInUrl });
  }
}
