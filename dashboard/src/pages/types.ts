import type { RouteState } from '../url-state.js';

/** Goes to a state (pushed to the history, or replacing the current entry). */
export type Navigate = (state: RouteState, opts?: { replace?: boolean }) => void;
/** A mounted page: told about a new state of its own view, and unmounted when the reader leaves. */
export type Page = { update: (state: RouteState) => void; unmount: () => void };
