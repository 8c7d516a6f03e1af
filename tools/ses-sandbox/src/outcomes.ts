import { addressKey, addressOf, domainOf } from './addresses.js';
import { badRequest } from './errors.js';

/** What can be scripted for an address. */
export const SCRIPTABLE_OUTCOMES = ['deliver', 'hard_bounce', 'soft_bounce', 'complaint'] as const;
export type ScriptedOutcome = (typeof SCRIPTABLE_OUTCOMES)[number];
/** What happened to one recipient: a scripted outcome, or not sent because the address is on the suppression list. */
export type Outcome = ScriptedOutcome | 'suppressed';

/** Where an outcome came from. */
export type OutcomeSource = 'suppression-list' | 'scripted' | 'simulator' | 'default';

export const SIMULATOR_DOMAIN = 'simulator.amazonses.com';

/**
 * SES's mailbox simulator (SES developer guide, "Using the mailbox simulator"; research §5, probable): the local part before any `+label` decides. `ooto` is an out-of-office reply, i.e. a delivery
 * (SES also sends the auto-reply to the sender: not modelled). `suppressionlist` bounces as if the address were on the
 * account's suppression list. Simulator addresses are never added to the suppression list.
 */
const SIMULATOR: Record<string, Outcome> = {
  success: 'deliver',
  bounce: 'hard_bounce',
  ooto: 'deliver',
  complaint: 'complaint',
  suppressionlist: 'suppressed',
};

export const isSimulatorAddress = (address: string) => domainOf(address) === SIMULATOR_DOMAIN;

export type Verdict = { outcome: Outcome; source: OutcomeSource };

/** Outcomes scripted per address by the admin API, and the rules that pick one recipient's outcome. */
export class Outcomes {
  private readonly scripted = new Map<string, { address: string; outcome: ScriptedOutcome }>();

  constructor(public defaultOutcome: ScriptedOutcome = 'deliver') {}

  script(address: string, outcome: ScriptedOutcome): { address: string; outcome: ScriptedOutcome } {
    const bare = addressOf(address);
    if (!bare) throw badRequest(`Not an email address: ${JSON.stringify(address)}`);
    const entry = { address: bare, outcome };
    this.scripted.set(addressKey(bare), entry);
    return entry;
  }

  remove(address: string): boolean {
    return this.scripted.delete(addressKey(address));
  }

  list(): { address: string; outcome: ScriptedOutcome }[] {
    return [...this.scripted.values()];
  }

  clear(): void {
    this.scripted.clear();
  }

  /** In SES's order: the suppression list first (SES does not even try), then the script, the simulator, the default. */
  decide(address: string, suppressed: boolean): Verdict {
    if (suppressed) return { outcome: 'suppressed', source: 'suppression-list' };
    const scripted = this.scripted.get(addressKey(address));
    if (scripted) return { outcome: scripted.outcome, source: 'scripted' };
    if (isSimulatorAddress(address)) {
      const local = address.slice(0, address.lastIndexOf('@')).split('+')[0]?.toLowerCase() ?? '';
      const outcome = SIMULATOR[local];
      if (outcome) return { outcome, source: 'simulator' };
    }
    return { outcome: this.defaultOutcome, source: 'default' };
  }
}
