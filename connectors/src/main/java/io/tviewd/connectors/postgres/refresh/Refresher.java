package io.tviewd.connectors.postgres.refresh;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.tviewd.config.RefreshConfig;
import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.PostgresSessions;
import io.tviewd.connectors.postgres.catalog.Tview;
import io.tviewd.connectors.postgres.plan.KeyMapping;

/**
 * Recomputes tview rows by key from their source views, one transaction per call — or several when the call
 * recomputes more than {@code refresh.max-keys-per-statement} keys, one per that many (see {@link Transaction}).
 *
 * <p>Within a call each tview gets one statement per {@code refresh.max-keys-per-statement} keys
 * (normally one), prepared once and reused. A tview whose statement fails (a poisoned view) is
 * rolled back to its savepoint and reported with its error while the other tviews commit; a lost
 * connection fails the whole call with {@link SQLException}, and the next call reconnects.
 *
 * <p>Not thread-safe: one refresher per refreshing thread.
 */
public final class Refresher implements AutoCloseable {

    private final PostgresSessions sessions;
    private final RefreshConfig config;
    private final Map<String, PreparedStatement> statements = new HashMap<>();
    /** Each tview's statements return what its readers track: replacing the readers drops the prepared statements. */
    private Readers readers;
    private Connection connection;
    /** Set when a call failed after committing part of its work with debts marked for its readers (see {@link Transaction}). */
    private boolean interruptedWithDebts;

    /**
     * The reason of the debt a call records for the tviews it carries changes on to, before it commits part of its work
     * (see {@link Transaction#room}); the call removes it when it commits the rest.
     */
    public static final String INTERRUPTED = "a refresh that carries the row changes of the tviews it reads on to it was "
            + "interrupted between two of its transactions";

    public Refresher(PostgresSessions sessions, RefreshConfig config) {
        this(sessions, config, Readers.NONE);
    }

    /**
     * A refresher that carries the row changes it makes to a tview on to the tviews that read it ({@link Readers}), in
     * the same transaction: their results follow the requested ones in what {@link #refresh} returns.
     */
    public Refresher(PostgresSessions sessions, RefreshConfig config, Readers readers) {
        this.sessions = sessions;
        this.config = config;
        this.readers = readers;
    }

    /** Replaces the readers changes are carried on to (the tviews' modes changed); prepared statements are dropped. */
    public void readers(Readers readers) {
        this.readers = readers;
        discardConnection();
    }

    /**
     * True (once) when a call failed after it had committed part of its work and recorded in {@code tviewd.owed_refresh}
     * that the tviews it carries changes on to are owed a full refresh: the caller reads those debts back and pays them.
     */
    public boolean takeInterruptedWithDebts() {
        boolean was = interruptedWithDebts;
        interruptedWithDebts = false;
        return was;
    }

    /**
     * Refreshes every request in order (callers pass dependencies first) and commits: once, or once per
     * {@code refresh.max-keys-per-statement} keys recomputed.
     *
     * @throws SQLException when the connection fails, a deadlock or serialization failure hits, or the
     *         commit fails; nothing of the open transaction is committed then and the caller retries (see
     *         {@link #isRetriable}). Where an earlier transaction of the call committed, the tviews it carries changes
     *         on to are recorded as owed ({@link #takeInterruptedWithDebts})
     */
    public List<RefreshResult> refresh(List<RefreshRequest> requests) throws SQLException {
        return refresh(requests, List.of());
    }

    /**
     * As {@link #refresh(List)}, after waiting until the given source transactions (32-bit xids, as the change
     * stream reports them) are visible to new snapshots. Logical decoding can hand over a transaction as soon as
     * its commit record is flushed, a moment before the committing backend makes it visible to other sessions;
     * a refresh computed in that moment would read the old rows and the change would be lost.
     */
    public List<RefreshResult> refresh(List<RefreshRequest> requests, java.util.Collection<Long> sourceXids) throws SQLException {
        Connection c = connection();
        List<RefreshResult> results = new ArrayList<>(requests.size());
        Transaction tx = null;
        try {
            // Serialize with trigger-mode writers (their triggers take the same lock), so this refresh
            // computes from a snapshot that includes their commits instead of overwriting them.
            statement(c, "lock", RefreshStatements.LOCK).execute();
            SourceVisibility.await(c, statement(c, "visible", SourceVisibility.VISIBLE), sourceXids, config.statementTimeout());
            List<RefreshRequest> work = new ArrayList<>(requests);
            tx = new Transaction(c, work);
            for (int i = 0; i < work.size(); i++) {
                RefreshRequest r = work.get(i);
                long start = System.nanoTime();
                tx.savepoint = c.setSavepoint();
                try {
                    Map<String, Set<String>> changed = new HashMap<>();
                    results.add(refreshOne(c, r, start, tx, changed));
                    c.releaseSavepoint(tx.savepoint);
                    if (!changed.isEmpty()) {
                        for (RefreshRequest owed : readers.owed(r.tview(), changed, r.cause())) {
                            schedule(work, i, owed);
                        }
                    }
                } catch (SQLException e) {
                    if (isRetriable(e)) {
                        throw e;
                    }
                    c.rollback(tx.savepoint);
                    results.add(new RefreshResult(r.tview(), r.full(), 0, 0, 0, 0, System.nanoTime() - start,
                            "refresh of " + r.tview().table() + " from " + r.tview().sourceView() + " failed: "
                                    + e.getMessage() + " (SQLState " + e.getSQLState() + ")"));
                }
            }
            if (!tx.marked.isEmpty()) {
                // a failed tview keeps its debt, and so does every tview its committed part may have owed changes to
                List<Tview> failedTviews = results.stream().filter(RefreshResult::failed).map(RefreshResult::tview).toList();
                Set<String> failed = new java.util.HashSet<>();
                failedTviews.forEach(f -> failed.add(f.table().toString()));
                readers.downstream(failedTviews).forEach(f -> failed.add(f.table().toString()));
                tx.marked.removeAll(failed);
                InterruptedDebts.unmark(c, tx.marked, INTERRUPTED);
            }
            c.commit();
            return results;
        } catch (SQLException e) {
            discardConnection();
            interruptedWithDebts |= tx != null && !tx.considered.isEmpty();
            throw e;
        }
    }

    /**
     * Puts a reader's request after position {@code done}: merged into its pending request, or inserted before the
     * first pending one that comes later in refresh order. A reader already refreshed in this call (requests passed
     * out of order) is refreshed again.
     */
    private void schedule(List<RefreshRequest> work, int done, RefreshRequest owed) {
        int at = work.size();
        for (int j = done + 1; j < work.size(); j++) {
            RefreshRequest w = work.get(j);
            if (w.tview().table().equals(owed.tview().table())) {
                work.set(j, Readers.merge(w, owed));
                return;
            }
            if (at == work.size() && readers.order(w.tview()) > readers.order(owed.tview())) {
                at = j;
            }
        }
        work.add(at, owed);
    }

    /**
     * The open refresh transaction: keys recomputed in it so far, and the savepoint of the tview being refreshed. A
     * batch that recomputes more than {@code refresh.max-keys-per-statement} keys commits before the statement that
     * would pass that many, so that no transaction carries more refresh events than an event stream holds in memory
     * ({@code events.max-transaction-events}, the same 10,000 by default); the offset still moves only after the last.
     *
     * <p>A commit in the middle of a call would leave the tviews it carries changes on to stale if the call then stopped
     * (a crash, a lost connection): their keys come from rows the committed part changed, and a retry finds those rows
     * already fresh. So before such a commit every tview the call may carry changes on to is recorded as owed a full
     * refresh ({@link #INTERRUPTED}), in the committed part; the call's last transaction removes those debts again.
     */
    private final class Transaction {
        private final Connection c;
        private final List<RefreshRequest> work;
        /** Tviews (by table name) recorded as owed by a commit of this call; the last commit removes them. */
        final Set<String> marked = new LinkedHashSet<>();
        /** Tviews recorded, or found owed already, by a commit of this call. */
        private final Set<String> considered = new LinkedHashSet<>();
        private long keys;
        Savepoint savepoint;

        Transaction(Connection c, List<RefreshRequest> work) {
            this.c = c;
            this.work = work;
        }

        /** Makes room for a statement over {@code n} keys: commits first when the transaction would pass the limit. */
        void room(int n) throws SQLException {
            if (keys > 0 && keys + n > config.maxKeysPerStatement()) {
                if (!readers.none()) {
                    Set<String> owed = new LinkedHashSet<>();
                    readers.downstream(work.stream().map(RefreshRequest::tview).toList()).forEach(t -> owed.add(t.table().toString()));
                    owed.removeAll(considered);
                    if (!owed.isEmpty()) {
                        considered.addAll(owed);
                        // a debt already there (an earlier try of this work left it) stays until it is paid
                        marked.addAll(InterruptedDebts.mark(c, owed, INTERRUPTED));
                    }
                }
                c.commit();
                statement(c, "lock", RefreshStatements.LOCK).execute();
                savepoint = c.setSavepoint();
                keys = 0;
            }
            keys += n;
        }
    }

    /**
     * Refreshes one tview; the old and new values of the columns its readers map ({@link Readers#tracked}) over the rows
     * it wrote or deleted are added to {@code changed}, per column.
     */
    private RefreshResult refreshOne(Connection c, RefreshRequest r, long start, Transaction tx,
                                     Map<String, Set<String>> changed) throws SQLException {
        Tview t = r.tview();
        List<String> tracked = readers.tracked(t);
        if (r.full()) {
            PreparedStatement ps = statement(c, "all:" + t.table(),
                    RefreshStatements.refreshAll(t, RefreshStatements.Emit.of(config), tracked));
            if (config.emitEvents()) {
                ps.setString(1, r.cause().json());
            }
            long[] counts = counts(ps, tracked, changed);
            return new RefreshResult(t, true, counts[0], counts[1], counts[2], counts[0] - counts[1],
                    System.nanoTime() - start, null);
        }
        Set<String> keys = new LinkedHashSet<>(r.keys());
        for (Map.Entry<KeyMapping, Set<String>> lookup : r.lookups().entrySet()) {
            PreparedStatement ps = statement(c, "lookup:" + t.table() + ":" + lookup.getKey(),
                    RefreshStatements.lookupKeys(t, lookup.getKey()));
            Array values = textArray(c, lookup.getValue());
            for (int i = 1; i <= RefreshStatements.lookupParameterCount(lookup.getKey()); i++) {
                ps.setArray(i, values);
            }
            // declared mapping SQL may name its tables unqualified: for it alone, the tview's schema joins the pinned path
            boolean explicit = lookup.getKey() instanceof KeyMapping.Explicit;
            if (explicit) {
                setSearchPath(c, "pg_catalog, " + TableName.quote(t.table().schema()) + ", pg_temp");
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    keys.add(rs.getString(1));
                }
            }
            if (explicit) {
                // (on an error the rollback to the tview's savepoint restores the path)
                setSearchPath(c, "pg_catalog, pg_temp");
            }
        }
        long found = 0;
        long written = 0;
        long deleted = 0;
        if (!keys.isEmpty()) {
            PreparedStatement ps = statement(c, "keys:" + t.table(),
                    RefreshStatements.refreshByKeys(t, RefreshStatements.Emit.of(config), tracked));
            if (config.emitEvents()) {
                ps.setString(3, r.cause().json());
            }
            List<String> all = new ArrayList<>(keys);
            int step = config.maxKeysPerStatement();
            for (int i = 0; i < all.size(); i += step) {
                List<String> chunk = all.subList(i, Math.min(all.size(), i + step));
                tx.room(chunk.size());
                Array arr = textArray(c, chunk);
                ps.setArray(1, arr);
                ps.setArray(2, arr);
                long[] counts = counts(ps, tracked, changed);
                found += counts[0];
                written += counts[1];
                deleted += counts[2];
            }
        }
        return new RefreshResult(t, false, keys.size(), written, deleted, found - written, System.nanoTime() - start, null);
    }

    private static long[] counts(PreparedStatement ps, List<String> tracked, Map<String, Set<String>> changed) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            for (int i = 0; i < tracked.size(); i++) {
                Array values = rs.getArray(5 + i);
                if (values != null) {
                    Set<String> into = changed.computeIfAbsent(tracked.get(i), k -> new LinkedHashSet<>());
                    for (Object v : (Object[]) values.getArray()) {
                        into.add((String) v);
                    }
                }
            }
            return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)};
        }
    }

    private static Array textArray(Connection c, java.util.Collection<String> values) throws SQLException {
        return c.createArrayOf("text", values.toArray());
    }

    private PreparedStatement statement(Connection c, String id, String sql) throws SQLException {
        PreparedStatement ps = statements.get(id);
        if (ps == null) {
            ps = c.prepareStatement(sql);
            statements.put(id, ps);
        }
        return ps;
    }

    private Connection connection() throws SQLException {
        if (connection == null || connection.isClosed()) {
            statements.clear();
            connection = sessions.open("tviewd-refresh", config.statementTimeout());
            if (connection.getMetaData().getDatabaseMajorVersion() >= 12) {
                // The statements take arrays of keys; a custom plan for every batch re-plans the whole view each time
                // (about 2 ms for a view like the benchmark's v_post, most of an idle refresh). The generic plan looks
                // keys up through the indexes whatever their number, which is the plan wanted.
                try (java.sql.Statement st = connection.createStatement()) {
                    st.execute("SET plan_cache_mode = force_generic_plan");
                }
            }
            connection.setAutoCommit(false);
        }
        return connection;
    }

    private void discardConnection() {
        statements.clear();
        if (connection != null) {
            try {
                connection.rollback();
                connection.close();
            } catch (SQLException ignored) {
                // the connection is being thrown away; its failure was already reported to the caller
            }
            connection = null;
        }
    }

    /** Class 08 (connection), 57P0x (shutdown), 53 (resources): the session is unusable, retry elsewhere. */
    public static boolean isConnectionFailure(SQLException e) {
        String state = e.getSQLState();
        return state == null || state.startsWith("08") || state.startsWith("57P") || state.startsWith("53");
    }

    private void setSearchPath(Connection c, String path) throws SQLException {
        PreparedStatement ps = statement(c, "path", "SELECT pg_catalog.set_config('search_path', ?, true)");
        ps.setString(1, path);
        ps.executeQuery().close();
    }

    /** Serialization failures and deadlocks: retrying the same transaction can succeed. */
    public static boolean isRetriable(SQLException e) {
        String state = e.getSQLState();
        return isConnectionFailure(e) || "40001".equals(state) || "40P01".equals(state);
    }

    @Override
    public void close() {
        discardConnection();
    }
}
