/** Time is an input: everything that needs "now" receives a Clock, so tests can move time at will. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
