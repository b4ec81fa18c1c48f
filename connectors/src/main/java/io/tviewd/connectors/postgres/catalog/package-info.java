/**
 * Discovery: which tviews exist, their keys, source views and what each view reads (view closure). Reads the catalog;
 * calls no other postgres subpackage.
 */
package io.tviewd.connectors.postgres.catalog;
