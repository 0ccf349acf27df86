package dev.orchestrator.store;

import java.sql.SQLException;

/** A database failure in a queue statement; the statement's transaction was rolled back. */
public class QueueStoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public QueueStoreException(SQLException cause) {
        super("queue database error: " + cause.getMessage() + " (SQLState " + cause.getSQLState() + ")", cause);
    }

}
