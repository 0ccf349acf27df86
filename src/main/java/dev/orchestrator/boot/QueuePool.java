package dev.orchestrator.boot;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.orchestrator.config.DatabaseSettings;

/**
 * The connection pool of the queue's guarded statements (not enlisted in JTA). The driver is named
 * explicitly: HikariCP then instantiates it from the WAR's own class loader instead of asking
 * {@code DriverManager}, which on Payara Server after a domain restart does not know the driver in
 * {@code WEB-INF/lib} ("No suitable driver"); the domain's libraries never need it.
 */
final class QueuePool {
    static final int SOCKET_TIMEOUT_SECONDS = 15;

    private QueuePool() {
    }

    static final String DRIVER = "org.postgresql.Driver";

    /**
     * Server settings of every queue connection, sent with the connection's start-up (no round
     * trip). {@code jit=off}: the claim's recursive lane walk is estimated far above
     * {@code jit_above_cost}, and on a PostgreSQL built with LLVM (Debian's, most distributions')
     * each claim then spent about 1.5 s compiling 172 functions for a statement that runs in
     * milliseconds (measured behind 100,000 queued jobs of an agent at its limit: 1.2-1.7 s per
     * claim with JIT, milliseconds without). These are short OLTP statements: JIT never pays here.
     */
    static final String SESSION_OPTIONS = "-c jit=off";

    static HikariDataSource open(DatabaseSettings db) {
        return new HikariDataSource(config(db));
    }

    static HikariConfig config(DatabaseSettings db) {
        HikariConfig cfg = new HikariConfig();
        cfg.setPoolName("orchestrator-queue");
        cfg.setDriverClassName(DRIVER);
        cfg.setJdbcUrl(db.url());
        cfg.setUsername(db.user());
        cfg.setPassword(db.password());
        cfg.setMaximumPoolSize(12);
        cfg.setMinimumIdle(2);
        // how long a borrower waits for a connection; while the database is down, every use waits
        // this long (HikariCP does not fail fast), an API request too before it answers 503
        cfg.setConnectionTimeout(5_000);
        cfg.setInitializationFailTimeout(-1); // Bootstrap checks the connection itself, naming the settings
        // a statement never hangs longer than this on a half-open connection, so a node notices an
        // unreachable database (and fences itself) well within its lease
        cfg.addDataSourceProperty("socketTimeout", Integer.toString(SOCKET_TIMEOUT_SECONDS));
        cfg.addDataSourceProperty("connectTimeout", "10");
        cfg.addDataSourceProperty("options", SESSION_OPTIONS);
        return cfg;
    }
}
