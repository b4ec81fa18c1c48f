package io.tviewd.daemon.cli;

import java.util.concurrent.Callable;

import io.tviewd.config.TviewdConfig;
import io.tviewd.connectors.clickhouse.ClickHouseCopy;
import io.tviewd.connectors.clickhouse.ClickHouseSink;
import io.tviewd.connectors.postgres.PostgresSessions;
import io.tviewd.connectors.postgres.plan.RefreshPlan;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tviewd clickhouse backfill|verify TVIEW}: copy a tview to ClickHouse, or compare and repair it. */
@Command(name = "clickhouse", mixinStandardHelpOptions = true, description = "Operate the ClickHouse sink (clickhouse.url must be set).",
        subcommands = {ClickHouseCommand.Backfill.class, ClickHouseCommand.Verify.class})
final class ClickHouseCommand {

    /** The tview and a copier for it, or null after printing why not. */
    private record Target(RefreshPlan plan, ClickHouseCopy copy) {
    }

    private static Target target(DatabaseOptions database, String tview) throws Exception {
        TviewdConfig cfg = database.load();
        if (cfg == null) {
            return null;
        }
        if (!cfg.clickhouse().enabled()) {
            System.err.println("tviewd: clickhouse.url is not set (TVIEWD_CLICKHOUSE_URL): there is no ClickHouse to copy to");
            return null;
        }
        DatabaseOptions.installState(cfg);
        RefreshPlan plan = DatabaseOptions.find(cfg, tview);
        if (plan == null) {
            return null;
        }
        if (!ClickHouseSink.selected(cfg.clickhouse(), plan.tview().table())) {
            System.err.println("tviewd: " + plan.tview().name() + " is not forwarded to ClickHouse (every ta_ tview is unless in "
                    + "clickhouse.exclude-tviews; others opt in through clickhouse.tviews)");
            return null;
        }
        String key = plan.tview().keyColumn();
        String name = plan.tview().table().toString();
        return new Target(plan, new ClickHouseCopy(cfg.clickhouse(), new PostgresSessions(cfg.database()), t -> t.equals(name) ? key : null));
    }

    private static void bar(String what, long done, long total) {
        int width = 30;
        int filled = total == 0 ? width : (int) Math.min(width, done * width / total);
        System.out.printf("\r%s [%s%s] %3d%% %,d/%,d", what, "#".repeat(filled), ".".repeat(width - filled),
                total == 0 ? 100 : done * 100 / total, done, total);
    }

    @Command(name = "backfill", mixinStandardHelpOptions = true,
            description = "Copy every row of TVIEW to ClickHouse in key chunks, versioned with the current WAL position (never above a later "
                    + "refresh, so newer rows win); resumes where an interrupted run stopped.")
    static final class Backfill implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "TVIEW", description = "ta_post or schema.ta_post")
        String tview;

        @Mixin
        DatabaseOptions database;

        @Override
        public Integer call() throws Exception {
            Target t = target(database, tview);
            if (t == null) {
                return Main.EXIT_CONFIG;
            }
            long t0 = System.nanoTime();
            long rows = t.copy().backfill(t.plan().tview().table().toString(), (done, total) -> bar("backfill " + tview, done, total));
            double s = (System.nanoTime() - t0) / 1e9;
            System.out.printf("%nBackfilled %,d rows of %s in %.2f s (%,.0f rows/s).%n", rows, t.plan().tview().name(), s, rows / Math.max(s, 1e-3));
            return Main.EXIT_OK;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Compare TVIEW with ClickHouse (FINAL, _deleted = 0) chunk by chunk, every column of every row; --repair re-sends "
                    + "the missing and differing rows and tombstones the extra ones, with current versions. Exit 3 on unrepaired drift.")
    static final class Verify implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "TVIEW", description = "ta_post or schema.ta_post")
        String tview;

        @Option(names = "--repair", description = "Re-send the missing and differing rows; tombstone the extra ones.")
        boolean repair;

        @Mixin
        DatabaseOptions database;

        @Override
        public Integer call() throws Exception {
            Target t = target(database, tview);
            if (t == null) {
                return Main.EXIT_CONFIG;
            }
            ClickHouseCopy.Drift d = t.copy().verify(t.plan().tview().table().toString(), repair, (done, total) -> bar("verify " + tview, done, total));
            System.out.printf("%n%s: %,d keys checked; missing in ClickHouse %d, extra %d, differing %d %s%n", t.plan().tview().name(), d.checked(),
                    d.missing(), d.extra(), d.differing(), d.sample());
            if (!d.any()) {
                System.out.println("No drift: ClickHouse equals " + t.plan().tview().name() + ".");
                return Main.EXIT_OK;
            }
            if (repair) {
                System.out.println("Repaired " + d.repaired() + " keys.");
                return Main.EXIT_OK;
            }
            System.out.println("Drift found: run `tviewd clickhouse verify " + tview + " --repair`.");
            return Main.EXIT_DRIFT;
        }
    }
}
