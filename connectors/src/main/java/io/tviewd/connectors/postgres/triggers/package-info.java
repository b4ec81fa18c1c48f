/**
 * Trigger mode: SQL of the generated statement triggers from the same plan, and their installation. Calls refresh for
 * the statements it embeds.
 */
package io.tviewd.connectors.postgres.triggers;
