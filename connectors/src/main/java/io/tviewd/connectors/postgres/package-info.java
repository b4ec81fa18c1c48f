/**
 * PostgreSQL: {@link io.tviewd.connectors.postgres.PostgresSessions} opens every session with the pinned settings. The
 * subpackages run catalog → plan → refresh → triggers, with state, replication and check beside them; this package calls
 * none of them.
 */
package io.tviewd.connectors.postgres;
