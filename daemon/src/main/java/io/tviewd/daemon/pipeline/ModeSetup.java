package io.tviewd.daemon.pipeline;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tviewd.config.RefreshMode;
import io.tviewd.config.TviewdConfig;
import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.plan.RefreshPlan;
import io.tviewd.connectors.postgres.refresh.RefreshStatements;
import io.tviewd.connectors.postgres.state.ModeStore;
import io.tviewd.connectors.postgres.triggers.TriggerInstaller;
import io.tviewd.connectors.postgres.triggers.TriggerStatements;

/**
 * Brings the database in line with each tview's persisted mode at start: trigger-mode tviews get
 * their generated triggers (installed or replaced), every other tview has none. A trigger-mode tview
 * that reads a tview refreshed by another driver is refused: its trigger would read a stale copy.
 */
public final class ModeSetup {

    private static final Logger LOG = LoggerFactory.getLogger(ModeSetup.class);

    /**
     * @param plans the plans kept, in refresh order
     * @param modes mode of each kept tview, by tview name
     * @param refused tviews refused here, with the reason
     * @param triggersInstalledNow trigger-mode tviews whose triggers did not exist before (to reconcile once)
     */
    public record Result(List<RefreshPlan> plans, Map<String, ModeStore.Mode> modes, Map<String, String> refused,
                  List<RefreshPlan> triggersInstalledNow) {

        public List<RefreshPlan> inMode(RefreshMode mode) {
            return plans.stream().filter(p -> modes.get(p.tview().name()).mode() == mode).toList();
        }

        public Map<String, String> modeNames() {
            Map<String, String> out = new LinkedHashMap<>();
            modes.forEach((k, v) -> out.put(k, v.mode().configName()));
            return out;
        }

        public Set<TableName> cdcTables() {
            Set<TableName> out = new TreeSet<>();
            inMode(RefreshMode.CDC).forEach(p -> out.addAll(p.mappings().keySet()));
            return out;
        }

        public io.tviewd.config.Schedule schedule(RefreshPlan p) {
            return modes.get(p.tview().name()).schedule();
        }
    }

    private ModeSetup() {
    }

    public static Result apply(Connection c, List<RefreshPlan> plans, TviewdConfig config) throws SQLException {
        Map<TableName, ModeStore.Mode> stored = ModeStore.sync(c, plans, config.refresh(), config.tviews(),
                config.discovery().schemas().get(0));
        Map<String, String> refused = new LinkedHashMap<>();
        List<RefreshPlan> kept = new ArrayList<>();
        Map<String, ModeStore.Mode> modes = new LinkedHashMap<>();
        for (RefreshPlan p : plans) {
            ModeStore.Mode mode = stored.get(p.tview().table());
            if (mode.mode() == RefreshMode.TRIGGER) {
                List<TableName> notTrigger = p.tview().dependsOn().stream()
                        .filter(d -> stored.get(d) == null || stored.get(d).mode() != RefreshMode.TRIGGER).toList();
                if (!notTrigger.isEmpty()) {
                    refused.put(p.tview().table().toString(), "Tview " + p.tview().table() + " is in trigger mode but reads "
                            + notTrigger + ", which " + (notTrigger.size() == 1 ? "is" : "are") + " not: its triggers would read a stale "
                            + "copy; put those in trigger mode too, or this one in another mode");
                    continue;
                }
            }
            kept.add(p);
            modes.put(p.tview().name(), mode);
        }
        List<RefreshPlan> installedNow = new ArrayList<>();
        for (int i = 0; i < kept.size(); i++) {
            RefreshPlan p = kept.get(i);
            if (io.tviewd.connectors.postgres.state.CutoverJournal.open(c, p.tview().table()) != null) {
                // an interrupted cutover owns this tview's triggers until it is resumed or rolled back
                LOG.warn("Tview {}: triggers left as they are while its cutover is unfinished", p.tview().name());
                continue;
            }
            if (modes.get(p.tview().name()).mode() == RefreshMode.TRIGGER) {
                boolean existed = !TriggerInstaller.installed(c, p.tview()).isEmpty();
                TriggerInstaller.install(c, p, i + 1, RefreshStatements.Emit.of(config.refresh()));
                if (!existed) {
                    installedNow.add(p);
                }
                LOG.info("Tview {}: trigger mode, triggers installed on {}", p.tview().name(), TriggerStatements.triggerMappings(p).keySet());
            } else {
                TriggerInstaller.remove(c, p.tview());
            }
        }
        return new Result(kept, modes, refused, installedNow);
    }
}
