/** Producer-side reliability of the event layer (the transactional outbox): see README.md in this folder. */
export { OutboxRelay, enqueueEvents, type OutboxRelayOptions, type OutboxSqlExecutor, type SqlExecutor } from './outbox.ts';
export { OUTBOX_DDL, outboxDdl } from './ddl.ts';
