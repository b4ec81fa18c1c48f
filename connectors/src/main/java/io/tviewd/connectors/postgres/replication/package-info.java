/**
 * Publication and replication slot: creation, sync, slot claims. Talks only to the server's replication catalog.
 */
package io.tviewd.connectors.postgres.replication;
