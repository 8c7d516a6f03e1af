import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface JobNetworkArgs {
  /** Physical name prefix (`peak-<stage>`): a created security group is `<prefix>-jobs`. */
  prefix: string;
  /** Subnets to run tasks in (one VPC); absent: the default VPC's default subnets (one per availability zone). */
  subnetIds?: string[];
  /** Security groups of the tasks; absent: a new group in the subnets' VPC that allows HTTPS out and nothing in. */
  securityGroupIds?: string[];
  /** Give each task a public IP; absent: yes in the default VPC (its subnets route out only through an internet gateway), no in given subnets. */
  assignPublicIp?: boolean;
  tags?: Record<string, string>;
}

/**
 * The default VPC and its default subnets (one per availability zone), sorted (AWS lists them in no order); refused with
 * the stack key to set when there are fewer than `minSubnets`. Used where no subnets are configured: the jobs, the services.
 */
export function defaultVpcSubnets(opts: pulumi.InvokeOptions, minSubnets: number, configKey: string): { vpcId: pulumi.Output<string>; subnetIds: pulumi.Output<string[]> } {
  const vpc = aws.ec2.getVpcOutput({ default: true }, opts);
  const subnetIds = aws.ec2
    .getSubnetsOutput({ filters: [{ name: 'vpc-id', values: [vpc.id] }, { name: 'default-for-az', values: ['true'] }] }, opts)
    .ids.apply((ids) => {
      if (ids.length < minSubnets) throw new Error(`the default VPC has ${ids.length} default subnet(s), fewer than the ${minSubnets} needed: set ${configKey}`);
      return [...ids].sort();
    });
  return { vpcId: vpc.id, subnetIds };
}

/**
 * Where the platform's Fargate tasks run. Given subnets and groups pass through; without them the default VPC is used
 * so a fresh account deploys without a network of its own (a stack in an account without a default VPC must set
 * `jobSubnetIds`). The tasks only call AWS APIs and ECR over HTTPS, so a created group allows exactly that, out.
 */
export class JobNetwork extends pulumi.ComponentResource {
  readonly subnetIds: pulumi.Output<string[]>;
  readonly securityGroupIds: pulumi.Output<string[]>;
  readonly assignPublicIp: boolean;
  /** The VPC, when it had to be known (the default VPC, or the subnets' VPC for a created group). */
  readonly vpcId?: pulumi.Output<string>;
  /** The group created when none was given. */
  readonly securityGroup?: aws.ec2.SecurityGroup;

  constructor(name: string, args: JobNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    if (args.subnetIds?.length === 0) throw new Error('JobNetwork: subnetIds, when given, must list at least one subnet');
    if (args.securityGroupIds?.length === 0) throw new Error('JobNetwork: securityGroupIds, when given, must list at least one group');
    super('peak:network:JobNetwork', name, {}, opts);
    const parent = { parent: this };
    const invoke = { parent: this };

    if (args.subnetIds === undefined) {
      ({ vpcId: this.vpcId, subnetIds: this.subnetIds } = defaultVpcSubnets(invoke, 1, 'peak-fitness:jobSubnetIds'));
    } else {
      this.subnetIds = pulumi.output(args.subnetIds);
      if (args.securityGroupIds === undefined) {
        // All subnets of one task must share a VPC (EventBridge Scheduler and ECS both require it); the first one names it.
        this.vpcId = aws.ec2.getSubnetOutput({ id: args.subnetIds[0] }, invoke).vpcId;
      }
    }
    this.assignPublicIp = args.assignPublicIp ?? args.subnetIds === undefined;

    if (args.securityGroupIds === undefined) {
      this.securityGroup = new aws.ec2.SecurityGroup(
        `${name}-jobs`,
        {
          name: `${args.prefix}-jobs`,
          description: 'Peak Fitness scheduled jobs: HTTPS out to AWS APIs and ECR, nothing in',
          vpcId: this.vpcId,
          ingress: [],
          egress: [{ description: 'HTTPS to AWS APIs, ECR and S3', protocol: 'tcp', fromPort: 443, toPort: 443, cidrBlocks: ['0.0.0.0/0'] }],
          tags: { ...(args.tags ?? {}), component: 'job-network' },
        },
        parent,
      );
      this.securityGroupIds = pulumi.output([this.securityGroup.id]);
    } else {
      this.securityGroupIds = pulumi.output(args.securityGroupIds);
    }

    this.registerOutputs({ subnetIds: this.subnetIds, securityGroupIds: this.securityGroupIds });
  }
}
