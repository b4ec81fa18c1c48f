/**
 * One class per subcommand of the {@code tviewd} executable, and {@link io.tviewd.daemon.cli.Main}. Calls the wiring, the
 * pipeline's maintenance operations and cutover; nothing calls back into it.
 */
package io.tviewd.daemon.cli;
