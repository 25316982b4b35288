// What the signed-in person may do, as the server says (GET /v1/whoami: the same table every
// request is checked against). Screens offer an action only when `can` says so; the server
// refuses it anyway if a page is made to send it.

/** @type {Set<string>} */
let commands = new Set();
/** @type {Set<string>} */
let reads = new Set();

/** @param {{mayCommand?: string[], mayRead?: string[]}} whoami */
export function setPermissions(whoami) {
  commands = new Set(whoami.mayCommand ?? []);
  reads = new Set(whoami.mayRead ?? []);
}

/** @param {string} commandType */
export const can = (commandType) => commands.has(commandType);

/** @param {string} what state, log, audit, identity or metrics */
export const canRead = (what) => reads.has(what);
