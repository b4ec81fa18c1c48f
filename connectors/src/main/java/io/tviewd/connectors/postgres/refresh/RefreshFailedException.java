package io.tviewd.connectors.postgres.refresh;

import java.sql.SQLException;

/**
 * A tview's refresh failed for a reason retrying the same statement will not cure (the view raised an error, a
 * statement timeout): its message is the {@link RefreshResult#error()}. Its SQLState {@value #SQL_STATE} is tviewd's
 * own, so {@link Refresher#isRetriable} never mistakes it for a lost connection.
 */
public final class RefreshFailedException extends SQLException {

    public static final String SQL_STATE = "TV001";

    public RefreshFailedException(RefreshResult failed) {
        super(failed.error(), SQL_STATE);
    }
}
