/**
 * The seams between the daemon and the outside: a {@link io.tviewd.connectors.ChangeSource} hands ordered batches of
 * {@link io.tviewd.connectors.RowChange}s to a {@link io.tviewd.connectors.ChangeHandler}. One subpackage per external
 * system; nothing here sees Vert.x or the daemon.
 */
package io.tviewd.connectors;
