/** Feature flags: what the server says this user gets (`features` of `/me/`). */

import type { Features, Me } from "../api/types";

export type Feature = keyof Features;

/** Return whether `me` gets `feature`; a flag the server did not send is off. */
export function hasFeature(me: Me, feature: Feature): boolean {
  return me.features?.[feature] === true;
}
