/**
 * Test programs report what happened with their own clock: a line `<event> <epoch ns>` (written by
 * `date +%s%N` inside the container). These helpers write such lines and read them back.
 */

/** A shell snippet that prints `<event> <epoch ns>`. */
export function mark(event: string): string {
  return `echo "${event} $(date +%s%N)"`;
}

/** The time (ns, as bigint) of `event` in a container's log; throws naming what the log holds. */
export function when(log: string, event: string): bigint {
  const m = new RegExp(`^${event.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} (\\d+)$`, 'm').exec(log);
  if (!m) throw new Error(`no "${event}" line in the log:\n${log}`);
  return BigInt(m[1]!);
}

/** A shell loop that waits for SIGTERM, printing `<name> TERM` and (after `lingerSeconds`) `<name> exit`. */
export function waitForTerm(name: string, lingerSeconds = 0): string {
  return `trap '${mark(`${name} TERM`)}; sleep ${lingerSeconds}; ${mark(`${name} exit`)}; exit 0' TERM; while true; do sleep 0.1; done`;
}
