/**
 * How the store reads and writes on a replica set (or Atlas). The writes that decide who is signed
 * in (a session created at login or by a regeneration, a logout, a revocation, the per-user cap)
 * wait for a majority of the members: a failover cannot roll one back, which would bring an ended
 * session back or lose a login. Session reads go to the primary whatever the client prefers: a
 * secondary may lag behind a logout. A touch (the idle timeout moved forward) is written with the
 * client's default: losing one costs a session at most one touch interval.
 *
 * On a single server (and on both test servers) a majority is that server: the same as w: 1.
 */
export const SECURITY_WRITE = { writeConcern: { w: 'majority' as const } };
export const SESSION_READ = { readPreference: 'primary' as const };
