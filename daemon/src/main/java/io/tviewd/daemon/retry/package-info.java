/**
 * The one retry helper: capped exponential backoff with jitter and an injectable clock. Depends on nothing in tviewd.
 */
package io.tviewd.daemon.retry;
