package dev.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.store.QueueStoreException;
import jakarta.persistence.PersistenceException;
import jakarta.resource.spi.ResourceAllocationException;
import jakarta.transaction.RollbackException;
import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.eclipse.persistence.exceptions.DatabaseException;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;

/** Which failures are a database outage (503), and what the client is told. */
class DatabaseUnavailableTest {

    @Test
    void a_closed_pooled_connection_under_jpa_and_eclipselink_is_an_outage() {
        // what the container pool handed out after a restart, as JPA reported it
        PSQLException closed = new PSQLException("This connection has been closed.",
                PSQLState.CONNECTION_DOES_NOT_EXIST);
        assertThat(DatabaseUnavailable.causedBy(new PersistenceException("EclipseLink-4002",
                DatabaseException.sqlException(closed)))).isTrue();
    }

    @Test
    void the_container_pool_failing_to_allocate_is_an_outage() {
        // "Error in allocating a connection. Cause: Connection could not be allocated because: ... refused"
        SQLException allocating = new SQLException("Error in allocating a connection",
                new ResourceAllocationException("Connection could not be allocated"));
        assertThat(DatabaseUnavailable.causedBy(DatabaseException.sqlException(allocating))).isTrue();
    }

    @Test
    void the_queue_pools_timeout_and_a_refused_socket_and_a_shutdown_are_outages() {
        assertThat(DatabaseUnavailable.causedBy(new QueueStoreException(new SQLTransientConnectionException(
                "orchestrator-queue - Connection is not available, request timed out after 5000ms")))).isTrue();
        assertThat(DatabaseUnavailable.causedBy(new IllegalStateException(new ConnectException("refused"))))
                .isTrue();
        for (String state : new String[] {"08001", "08006", "57P01", "57P02", "57P03", "53300"}) {
            assertThat(DatabaseUnavailable.causedBy(new RuntimeException(new SQLException("x", state))))
                    .as(state).isTrue();
        }
        // a failed commit wraps its cause deeper still
        RollbackException rollback = new RollbackException("commit failed");
        rollback.initCause(new PSQLException("An I/O error occurred", PSQLState.CONNECTION_FAILURE));
        assertThat(DatabaseUnavailable.causedBy(new RuntimeException(rollback))).isTrue();
    }

    @Test
    void other_database_errors_and_bugs_are_not_outages() {
        assertThat(DatabaseUnavailable.causedBy(new PersistenceException(DatabaseException.sqlException(
                new PSQLException("duplicate key", PSQLState.UNIQUE_VIOLATION))))).isFalse();
        assertThat(DatabaseUnavailable.causedBy(new QueueStoreException(new SQLException("syntax", "42601"))))
                .isFalse();
        assertThat(DatabaseUnavailable.causedBy(new SQLException("no state"))).isFalse();
        assertThat(DatabaseUnavailable.causedBy(new NullPointerException())).isFalse();
        assertThat(DatabaseUnavailable.causedBy(null)).isFalse();
    }

    @Test
    void a_cause_chain_that_loops_ends() {
        RuntimeException a = new RuntimeException("a");
        RuntimeException b = new RuntimeException("b", a);
        a.initCause(b);
        assertThat(DatabaseUnavailable.causedBy(a)).isFalse();
        assertThat(DatabaseUnavailable.causes(a)).contains("RuntimeException: a <- java.lang.RuntimeException: b");
    }

    @Test
    void the_problem_says_what_to_do_and_names_nothing_inside() {
        Problem p = DatabaseUnavailable.problem("id-1");
        assertThat(p.status()).isEqualTo(503);
        assertThat(p.title()).isEqualTo("Service Unavailable");
        assertThat(p.detail()).contains("database is unavailable", "retry in " + DatabaseUnavailable.RETRY_AFTER_SECONDS,
                "id-1");
        assertThat(p.detail()).doesNotContainIgnoringCase("exception").doesNotContainIgnoringCase("sql")
                .doesNotContainIgnoringCase("postgres");
    }

    @Test
    void the_log_line_names_each_cause_with_its_sqlstate() {
        String line = DatabaseUnavailable.causes(new QueueStoreException(new SQLTransientConnectionException(
                "not available", "08001", new ConnectException("Connection refused"))));
        assertThat(line).contains("QueueStoreException", "SQLTransientConnectionException", "(SQLState 08001)",
                "java.net.ConnectException: Connection refused");
        String repeated = DatabaseUnavailable.causes(new RuntimeException("allocating: refused",
                new IllegalStateException("refused")));
        assertThat(repeated).isEqualTo("java.lang.RuntimeException: allocating: refused <- java.lang.IllegalStateException");
    }
}
