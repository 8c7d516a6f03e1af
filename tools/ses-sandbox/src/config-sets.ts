import { SesError, badRequest, notFound } from './errors.js';
import { isReason, type SuppressionReason } from './suppression.js';

export const EVENT_TYPES = ['SEND', 'REJECT', 'BOUNCE', 'COMPLAINT', 'DELIVERY', 'OPEN', 'CLICK', 'RENDERING_FAILURE', 'DELIVERY_DELAY', 'SUBSCRIPTION'] as const;
export type EventTypeName = (typeof EVENT_TYPES)[number];

const DESTINATION_KINDS = ['SnsDestination', 'EventBridgeDestination', 'KinesisFirehoseDestination', 'CloudWatchDestination', 'PinpointDestination'] as const;
const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export type EventDestination = {
  Name: string;
  Enabled: boolean;
  MatchingEventTypes: EventTypeName[];
  SnsDestination?: { TopicArn: string };
  /** Stored and echoed, never delivered to: only SNS destinations publish in the sandbox. */
  EventBridgeDestination?: Json;
  KinesisFirehoseDestination?: Json;
  CloudWatchDestination?: Json;
  PinpointDestination?: Json;
};

/** A configuration set: the options as given (echoed by GetConfigurationSet) and its event destinations. */
export type ConfigurationSet = {
  name: string;
  options: Json;
  sendingEnabled: boolean;
  /** The set's `SuppressionOptions.SuppressedReasons` when given: overrides the account's for automatic adding. */
  suppressedReasons?: SuppressionReason[];
  destinations: Map<string, EventDestination>;
};

/** The options CreateConfigurationSet takes besides the name (the client model's `CreateConfigurationSetRequest`). */
const OPTION_KEYS = ['TrackingOptions', 'DeliveryOptions', 'ReputationOptions', 'SendingOptions', 'Tags', 'SuppressionOptions', 'VdmOptions', 'ArchivingOptions', 'MessageSecurityOptions'];

function suppressedReasonsOf(options: unknown): SuppressionReason[] | undefined {
  if (options === undefined) return undefined;
  if (!isObject(options)) throw badRequest('SuppressionOptions must be an object.');
  const reasons = options.SuppressedReasons;
  if (reasons === undefined) return undefined;
  if (!Array.isArray(reasons) || !reasons.every(isReason)) throw badRequest('SuppressedReasons must be a list of BOUNCE and/or COMPLAINT.');
  return [...new Set(reasons)];
}

function sendingEnabledOf(options: unknown): boolean {
  if (options === undefined) return true;
  if (!isObject(options) || (options.SendingEnabled !== undefined && typeof options.SendingEnabled !== 'boolean')) throw badRequest('SendingOptions must be {SendingEnabled?: boolean}.');
  return options.SendingEnabled !== false;
}

/** The configuration sets of the account, with the API's checks (names, event types, one destination each). */
export class ConfigurationSets {
  private readonly sets = new Map<string, ConfigurationSet>();

  create(body: unknown): ConfigurationSet {
    if (!isObject(body) || typeof body.ConfigurationSetName !== 'string') throw badRequest('ConfigurationSetName is required.');
    const name = body.ConfigurationSetName;
    if (!NAME.test(name)) throw badRequest(`Invalid configuration set name <${name}>: 1 to 64 characters of A-Z a-z 0-9 _ -.`);
    if (this.sets.has(name)) throw new SesError('AlreadyExistsException', `Configuration set <${name}> already exists.`);
    const options: Json = {};
    for (const key of OPTION_KEYS) if (body[key] !== undefined) options[key] = body[key];
    const suppressedReasons = suppressedReasonsOf(options.SuppressionOptions);
    const set: ConfigurationSet = {
      name,
      options,
      sendingEnabled: sendingEnabledOf(options.SendingOptions),
      ...(suppressedReasons ? { suppressedReasons } : {}),
      destinations: new Map(),
    };
    this.sets.set(name, set);
    return set;
  }

  get(name: string): ConfigurationSet | undefined {
    return this.sets.get(name);
  }

  /** The set, or SES's NotFoundException. */
  require(name: string): ConfigurationSet {
    const set = this.sets.get(name);
    if (!set) throw notFound(`Configuration set <${name}> does not exist.`);
    return set;
  }

  names(): string[] {
    return [...this.sets.keys()];
  }

  delete(name: string): void {
    this.require(name);
    this.sets.delete(name);
  }

  /** GetConfigurationSet's answer: the options as created or last put, with SES's defaults for sending and reputation. */
  describe(name: string): Json {
    const set = this.require(name);
    return {
      ConfigurationSetName: set.name,
      ...set.options,
      SendingOptions: { SendingEnabled: set.sendingEnabled },
      ReputationOptions: (set.options.ReputationOptions as Json | undefined) ?? { ReputationMetricsEnabled: false },
      Tags: (set.options.Tags as unknown[] | undefined) ?? [],
    };
  }

  putSendingOptions(name: string, body: unknown): void {
    const set = this.require(name);
    set.sendingEnabled = sendingEnabledOf(isObject(body) ? { SendingEnabled: body.SendingEnabled } : body);
    set.options.SendingOptions = { SendingEnabled: set.sendingEnabled };
  }

  putSuppressionOptions(name: string, body: unknown): void {
    const set = this.require(name);
    const reasons = suppressedReasonsOf(isObject(body) ? { SuppressedReasons: body.SuppressedReasons } : body);
    if (reasons) set.suppressedReasons = reasons;
    else delete set.suppressedReasons;
    set.options.SuppressionOptions = reasons ? { SuppressedReasons: reasons } : {};
  }

  addDestination(setName: string, body: unknown): EventDestination {
    const set = this.require(setName);
    if (!isObject(body) || typeof body.EventDestinationName !== 'string') throw badRequest('EventDestinationName is required.');
    const name = body.EventDestinationName;
    if (!NAME.test(name)) throw badRequest(`Invalid event destination name <${name}>: 1 to 64 characters of A-Z a-z 0-9 _ -.`);
    if (set.destinations.has(name)) throw new SesError('AlreadyExistsException', `Event destination <${name}> already exists in configuration set <${setName}>.`);
    const destination = parseDestination(name, body.EventDestination);
    set.destinations.set(name, destination);
    return destination;
  }

  updateDestination(setName: string, name: string, body: unknown): EventDestination {
    const set = this.require(setName);
    if (!set.destinations.has(name)) throw notFound(`Event destination <${name}> does not exist in configuration set <${setName}>.`);
    const destination = parseDestination(name, isObject(body) ? body.EventDestination : undefined);
    set.destinations.set(name, destination);
    return destination;
  }

  deleteDestination(setName: string, name: string): void {
    const set = this.require(setName);
    if (!set.destinations.delete(name)) throw notFound(`Event destination <${name}> does not exist in configuration set <${setName}>.`);
  }

  clear(): void {
    this.sets.clear();
  }
}

/**
 * An `EventDestinationDefinition`: exactly one destination, at least one known event type. `Enabled` defaults to false
 * here (the model has no default and AWS's examples always pass it; unverified): pass `Enabled: true`.
 */
function parseDestination(name: string, definition: unknown): EventDestination {
  if (!isObject(definition)) throw badRequest('EventDestination is required.');
  const kinds = DESTINATION_KINDS.filter((k) => definition[k] !== undefined && definition[k] !== null);
  if (kinds.length !== 1) throw badRequest(`An event destination needs exactly one of ${DESTINATION_KINDS.join(', ')}.`);
  const types = definition.MatchingEventTypes;
  if (!Array.isArray(types) || types.length === 0) throw badRequest('MatchingEventTypes must list at least one event type.');
  for (const t of types) if (!(EVENT_TYPES as readonly unknown[]).includes(t)) throw badRequest(`Unknown event type ${JSON.stringify(t)}; one of ${EVENT_TYPES.join(', ')}.`);
  if (definition.Enabled !== undefined && typeof definition.Enabled !== 'boolean') throw badRequest('Enabled must be a boolean.');
  const destination: EventDestination = { Name: name, Enabled: definition.Enabled === true, MatchingEventTypes: [...new Set(types as EventTypeName[])] };
  const kind = kinds[0];
  const value = kind ? definition[kind] : undefined;
  if (kind === 'SnsDestination') {
    const arn = isObject(value) ? value.TopicArn : undefined;
    if (typeof arn !== 'string' || !SNS_TOPIC_ARN.test(arn)) throw badRequest(`SnsDestination.TopicArn must be an SNS topic ARN; got ${JSON.stringify(arn)}.`);
    destination.SnsDestination = { TopicArn: arn };
  } else if (kind && isObject(value)) {
    destination[kind] = value;
  } else {
    throw badRequest(`${kind ?? 'The destination'} must be an object.`);
  }
  return destination;
}
