package dev.orchestrator.store;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * Short local transactions on a non-JTA data source: the queue's statements never wait on a
 * process, so each unit of work takes a connection, commits, and gives it back at once.
 */
final class Transactions {
    @FunctionalInterface
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    private final DataSource dataSource;

    Transactions(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    <T> T inTransaction(Work<T> work) {
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                restoreAutoCommitQuietly(c, autoCommit, null);
                return result;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c, e);
                restoreAutoCommitQuietly(c, autoCommit, e);
                throw e;
            }
        } catch (SQLException e) {
            throw new QueueStoreException(e);
        }
    }

    /**
     * One statement on a connection in auto-commit mode: atomic by itself, and one round trip fewer
     * than {@link #inTransaction} (no separate COMMIT). Only for work that is a single statement.
     */
    <T> T single(Work<T> work) {
        try (Connection c = dataSource.getConnection()) {
            if (!c.getAutoCommit()) {
                c.setAutoCommit(true);
            }
            return work.run(c);
        } catch (SQLException e) {
            throw new QueueStoreException(e);
        }
    }

    /**
     * Puts auto-commit back as the pool handed the connection out. Never the error of the unit of
     * work: on a connection the failure broke (a restart of PostgreSQL), HikariCP has already closed
     * it and this throws "Connection is closed" without an SQLState, which would hide the failure
     * that says the database is unreachable (the API's 503) behind an unexplained error (a 500). A
     * committed unit of work is not failed afterwards either; HikariCP resets auto-commit itself
     * when the connection goes back to the pool.
     */
    private static void restoreAutoCommitQuietly(Connection c, boolean autoCommit, Exception cause) {
        try {
            c.setAutoCommit(autoCommit);
        } catch (SQLException restoreFailure) {
            if (cause != null) {
                cause.addSuppressed(restoreFailure);
            }
        }
    }

    private static void rollbackQuietly(Connection c, Exception cause) {
        try {
            c.rollback();
        } catch (SQLException rollbackFailure) {
            cause.addSuppressed(rollbackFailure);
        }
    }
}
