package io.tviewd.connectors.postgres.refresh;

import static io.tviewd.connectors.TableName.quote;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import io.tviewd.connectors.postgres.catalog.Tview;

/**
 * Fills or rebuilds a tview in chunks: keys are read from the source view in key order (keyset
 * pagination) and each chunk is recomputed by key in its own short transaction, so no lock is held
 * for long and memory stays bounded by one chunk. A final {@link TviewVerifier} pass removes tview
 * rows the view no longer returns.
 */
public final class TviewPopulator {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TviewPopulator.class);

    /** Keys per chunk where nobody chose: small enough for any chunk to fit well within a statement timeout. */
    public static final int CHUNK_SIZE = 1000;

    /** Progress: rows done so far of an estimated total. */
    @FunctionalInterface
    public interface Progress {
        void update(long done, long total);
    }

    /** Outcome: view rows visited, rows written (inserted or changed), rows deleted. */
    public record Result(long rows, long written, long deleted) {
    }

    private TviewPopulator() {
    }

    public static Result populate(Connection reader, Refresher refresher, Tview t, int chunkSize, RefreshCause cause,
                                  Progress progress) throws SQLException {
        long total;
        try (PreparedStatement ps = reader.prepareStatement("SELECT count(*) FROM " + t.sourceView().quoted());
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            total = rs.getLong(1);
        }
        String key = quote(t.keyColumn());
        long done = 0;
        long written = 0;
        long deleted = 0;
        String lo = null;
        progress.update(0, total);
        while (true) {
            List<String> keys = new ArrayList<>(chunkSize);
            String sql = "SELECT " + key + "::text FROM " + t.sourceView().quoted()
                    + (lo == null ? "" : " WHERE " + key + " > CAST(? AS text)::" + t.keyType()) + " ORDER BY " + key + " LIMIT " + chunkSize;
            try (PreparedStatement ps = reader.prepareStatement(sql)) {
                if (lo != null) {
                    ps.setString(1, lo);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        keys.add(rs.getString(1));
                    }
                }
            }
            if (keys.isEmpty()) {
                break;
            }
            RefreshResult r = first(refresher.refresh(List.of(RefreshRequest.keys(t, Set.copyOf(keys), cause))));
            if (r.failed()) {
                throw new RefreshFailedException(r);
            }
            written += r.written();
            done += keys.size();
            progress.update(done, Math.max(total, done));
            lo = keys.get(keys.size() - 1);
            if (keys.size() < chunkSize) {
                break;
            }
        }
        // rows the view no longer returns (and any other drift the chunks above could not see)
        long[] removed = {0};
        TviewVerifier.verify(reader, t, chunkSize, (diff, checked) -> {
            if (!diff.isEmpty()) {
                RefreshResult r = first(refresher.refresh(List.of(RefreshRequest.keys(t, Set.copyOf(diff), cause))));
                if (r.failed()) {
                    throw new RefreshFailedException(r);
                }
                removed[0] += r.deleted();
            }
        });
        deleted += removed[0];
        return new Result(done, written, deleted);
    }

    /**
     * The chunk's own result. The others are the tviews reading it, carried on by the refresher ({@link Readers}); one that
     * failed is logged (it keeps its own rows, and the daemon's quarantine of it pays what it owes), never the chunk's failure.
     */
    private static RefreshResult first(List<RefreshResult> results) {
        for (RefreshResult carried : results.subList(1, results.size())) {
            if (carried.failed()) {
                LOG.error("Tview {}: a populate chunk of the tview it reads could not be carried on to it: {}", carried.tview().name(),
                        carried.error());
            }
        }
        return results.get(0);
    }
}
