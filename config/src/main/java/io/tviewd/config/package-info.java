/**
 * Configuration: one immutable record per component, each key declared once ({@link io.tviewd.config.ConfigKeys}), loaded
 * and validated from YAML and TVIEWD_* variables ({@link io.tviewd.config.ConfigLoader}). Imports no other module and
 * no Vert.x, Debezium, Kafka or JDBC.
 */
package io.tviewd.config;
