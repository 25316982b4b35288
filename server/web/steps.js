// What happened on a work order's equipment while its steps ran: the readings recorded on
// each step's equipment between the step's start and its completion (or now), read from the
// equipment's history. The order page lists them; the batch record review keeps those out
// of limits.
import { get, segment } from './api.js';

/**
 * @typedef {{step: string, equipment: string, seq: number, at: string, payload: any}} StepReading
 * @param {any[]} steps a work order's state.steps
 * @returns {Promise<StepReading[]>}
 */
export async function readingsDuringSteps(steps) {
  /** @type {StepReading[]} */
  const found = [];
  for (const s of steps) {
    if (!s.equipment || !s.startedAt) continue;
    const e = await get('/v1/equipment/' + segment(s.equipment));
    const from = Date.parse(s.startedAt);
    const to = s.completedAt ? Date.parse(s.completedAt) : Date.now();
    for (const r of e.history) {
      if (r.type !== 'reading.recorded') continue;
      const at = r.payload.at ?? r.occurredAt;
      const t = Date.parse(at);
      if (t >= from && t <= to) found.push({ step: s.step, equipment: s.equipment, seq: r.seq, at, payload: r.payload });
    }
  }
  return found;
}
