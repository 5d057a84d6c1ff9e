/**
 * Upper bound of every wait in a play function. What a play function waits for is caused by hub events
 * (a connection, a delivery, a publish answered), never by elapsed time; this bound only turns a hang into
 * a failure, so it is generous enough for a machine whose cores are busy with something else.
 */
export const EVENTUALLY = { timeout: 60_000 } as const;
