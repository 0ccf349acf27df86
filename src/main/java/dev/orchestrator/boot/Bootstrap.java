package dev.orchestrator.boot;

import com.zaxxer.hikari.HikariDataSource;
import dev.orchestrator.node.NodeSettings;
import dev.orchestrator.node.OrchestratorNode;
import dev.orchestrator.service.JobControl;
import dev.orchestrator.service.QueueService;
import dev.orchestrator.domain.agent.AgentCatalog;
import dev.orchestrator.domain.job.JobRepository;
import dev.orchestrator.domain.node.NodeIdentity;
import dev.orchestrator.config.AgentsFile;
import dev.orchestrator.config.ApiTokensFile;
import dev.orchestrator.domain.access.TokenRegistry;
import dev.orchestrator.service.AuditTrail;
import dev.orchestrator.config.ConfigurationException;
import dev.orchestrator.config.DatabaseSettings;
import dev.orchestrator.config.OrchestratorConfig;
import dev.orchestrator.config.Settings;
import dev.orchestrator.config.WorkingDirectory;
import dev.orchestrator.store.EnqueueStore;
import dev.orchestrator.store.QueueStores;
import dev.orchestrator.store.SchemaMigrator;
import dev.orchestrator.process.HostInfo;
import dev.orchestrator.process.OsCommands;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.ejb.ConcurrencyManagement;
import jakarta.ejb.ConcurrencyManagementType;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.ejb.TransactionManagement;
import jakarta.ejb.TransactionManagementType;
import jakarta.enterprise.concurrent.ManagedThreadFactory;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * The composition root. At deployment: validate settings (a bad one fails the deployment with a
 * message naming it), connect, migrate the schema, load the agents, register this node, recover
 * the runs of earlier incarnations on this host, sanitize, start dispatching. At undeployment:
 * stop claiming and hand running jobs back to the queue.
 */
@Singleton
@Startup
@ConcurrencyManagement(ConcurrencyManagementType.BEAN)
@TransactionManagement(TransactionManagementType.BEAN)
public class Bootstrap {
    private static final Logger LOG = Logger.getLogger(Bootstrap.class.getName());

    @Resource
    ManagedThreadFactory threadFactory;


    @Inject
    JobRepository jobs;

    @Inject
    Clock clock;

    private volatile HikariDataSource queueDataSource;
    /**
     * The node's worker threads (run starts, exit handling, wake-up announcements, group kills): a cached pool on
     * the container's {@link ManagedThreadFactory}, so each thread carries the application's context from its
     * creation. Not the container's {@code ManagedExecutorService}: Payara's captures the context again for every
     * task it is handed, and that capture runs a {@link java.util.ServiceLoader} scan of the application's class
     * loader (jar entries): in a drain of 2,000 jobs it was 37 % of the JVM's CPU samples (bench/README.md). The
     * tasks here need no per-task context: they use the queue's own pool, start processes and log.
     */
    private volatile ExecutorService workers;
    private volatile dev.orchestrator.api.LogStreams logStreams;
    private volatile dev.orchestrator.api.EventStreams eventStreams;
    private volatile dev.orchestrator.api.SseSlots sseSlots;
    private volatile OrchestratorNode node;
    private volatile QueueService queue;
    private volatile JobControl control;
    private volatile OrchestratorConfig config;
    private volatile TokenRegistry tokens;
    private volatile AuditTrail audit;
    private volatile AgentCatalog agents;

    @PostConstruct
    void start() {
        preloadClasses(); // first: also the stop of a failed start needs them
        try {
            Config mpConfig = ConfigProvider.getConfig();
            Function<String, Optional<String>> containerView = name -> mpConfig.getOptionalValue(name, String.class);
            Settings settings = new Settings(Settings.environmentFirst(System.getenv(), containerView));
            Optional<String> relativeRefusal = WorkingDirectory.relativePathRefusal(Path.of(""),
                    System.getProperty(WorkingDirectory.INSTANCE_ROOT));
            if (relativeRefusal.isPresent()) {
                settings = settings.refusingRelativePaths(relativeRefusal.get());
            }
            DatabaseSettings db = DatabaseSettings.from(settings);
            db.requireSameAs(containerView);
            config = OrchestratorConfig.from(settings, HostInfo.hostName());
            agents = AgentsFile.load(config.agentsFile());
            ApiTokensFile.Loaded loadedTokens = ApiTokensFile.load(settings, config.dataDir());
            loadedTokens.generatedFile().ifPresent(f -> LOG.log(Level.INFO, loadedTokens.generatedNow()
                    ? "API: no ORCH_API_TOKENS_FILE or ORCH_API_TOKEN; generated an admin token in {0} (mode 0600)"
                    : "API: the admin token is in {0}", f));
            tokens = loadedTokens.registry();
            queueDataSource = QueuePool.open(db);
            checkConnection(db);
            SchemaMigrator.Migration migrated = SchemaMigrator.migrate(queueDataSource, Bootstrap.class.getClassLoader());
            LOG.log(Level.INFO, "schema at version {0} ({1} migration(s) applied now)",
                    new Object[] {migrated.state().currentVersion(), migrated.applied()});

            NodeSettings.Commands commands = new NodeSettings.Commands(
                    OsCommands.require("setsid"), OsCommands.require("kill"));
            NodeIdentity identity = HostInfo.thisJvm(config.nodeName() + ":" + ProcessHandle.current().pid() + ":"
                    + UUID.randomUUID().toString().substring(0, 8), HostInfo.hostName());
            workers = Executors.newCachedThreadPool(threadFactory);
            node = NodeFactory.node(config, agents, QueueStores.on(queueDataSource), identity, clock, commands,
                    System.getenv(), workers, new java.util.Random()::nextDouble);
            NodeFactory.wakeAcrossNodes(node, config, queueDataSource,
                    NodeFactory.listenerConnections(db.url(), db.user(), db.password()));
            node.prepare();
            queue = new QueueService(jobs, new EnqueueStore(queueDataSource), agents, node, config.defaultMaxAttempts());
            control = new JobControl(node, jobs);
            audit = new AuditTrail(node.stores().audit(), clock);
            node.startDispatching(threadFactory);
            sseSlots = new dev.orchestrator.api.SseSlots(config.maxSseStreams());
            logStreams = new dev.orchestrator.api.LogStreams(identity.id(), sseSlots, config.sseSlowClient(), clock,
                    jobs::findRun, threadFactory);
            eventStreams = new dev.orchestrator.api.EventStreams(node.stores().events(), sseSlots,
                    config.sseSlowClient(), clock, threadFactory);
            LOG.log(Level.INFO, "Orchestrator node {0} ready: agents {1}, max_concurrency {2}, data {3}, {4} API "
                    + "token(s) {5}", new Object[] {identity.id(), agents.names(), config.maxConcurrency(),
                            config.dataDir(), tokens.tokens().size(),
                            tokens.tokens().stream().map(t -> t.name()).toList()});
        } catch (ConfigurationException e) {
            LOG.log(Level.SEVERE, "Orchestrator cannot start: {0}", e.getMessage());
            abandonStart();
            throw e;
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "Orchestrator cannot start: " + e.getMessage(), e);
            abandonStart();
            throw e;
        }
    }

    private static void preloadClasses() {
        try {
            int preloaded = ClassPreloader.preload(Bootstrap.class, "dev.orchestrator").size();
            LOG.log(Level.FINE, "{0} application classes loaded for the orderly stop", preloaded);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not load the application's classes ahead of the orderly stop; an "
                    + "undeploy soon after start may fail to hand running jobs back", e);
        }
    }

    /** A failed start: a node that registered records its stop (else it looks alive to others), then the pool closes. */
    private void abandonStart() {
        OrchestratorNode n = node;
        node = null;
        try {
            if (n != null) {
                n.stop();
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Orchestrator could not record the stop of its failed start; the next start on "
                    + "this host or the lease reclaim of another node does", e);
        } finally {
            stopStreams();
            stopWorkers();
            closePool();
            deregisterDrivers();
        }
    }


    private void stopStreams() {
        dev.orchestrator.api.LogStreams streams = logStreams;
        if (streams != null) {
            streams.stop();
        }
        dev.orchestrator.api.EventStreams events = eventStreams;
        if (events != null) {
            events.stop();
        }
    }

    private void stopWorkers() {
        ExecutorService w = workers;
        if (w == null) {
            return;
        }
        w.shutdown();
        try {
            if (!w.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warning("Orchestrator: worker tasks still running 5 s after the stop; interrupting them");
                w.shutdownNow();
            }
        } catch (InterruptedException e) {
            w.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    private void checkConnection(DatabaseSettings db) {
        try (Connection c = queueDataSource.getConnection()) {
            c.isValid(5);
        } catch (SQLException e) {
            throw new ConfigurationException("cannot connect to PostgreSQL at ORCH_DB_URL=" + db.url()
                    + " as ORCH_DB_USER=" + db.user() + ": " + e.getMessage(), e);
        }
    }

    @PreDestroy
    void stop() {
        OrchestratorNode n = node;
        try {
            if (n != null) {
                LOG.info("Orchestrator stopping");
                n.stop();
            }
        } catch (RuntimeException | Error e) {
            LOG.log(Level.SEVERE, "Orchestrator could not hand its running jobs back to the queue; the next "
                    + "start on this host recovers them", e);
        } finally {
            stopStreams();
            stopWorkers();
            closePool();
            deregisterDrivers();
        }
    }


    private static void deregisterDrivers() {
        try {
            // Bootstrap.class, not getClass(): the container may run a generated subclass from another loader
            List<String> drivers = JdbcDrivers.deregisterLoadedBy(Bootstrap.class.getClassLoader());
            LOG.log(Level.FINE, "deregistered JDBC drivers {0}", drivers);
        } catch (RuntimeException | LinkageError e) {
            LOG.log(Level.WARNING, "could not deregister the application's JDBC drivers", e);
        }
    }

    private void closePool() {
        HikariDataSource ds = queueDataSource;
        if (ds != null) {
            ds.close();
        }
    }

    /** The queue's pool, for the readiness check. */
    public DataSource queueDataSource() {
        return requireStarted(queueDataSource);
    }

    /** The schema as Flyway sees it now, for the readiness check. */
    public SchemaMigrator.State schema() {
        return SchemaMigrator.state(queueDataSource(), Bootstrap.class.getClassLoader());
    }

    public OrchestratorNode node() {
        return requireStarted(node);
    }

    public QueueService queue() {
        return requireStarted(queue);
    }

    /** This node's open log streams (GET /api/runs/{id}/log/stream). */
    public dev.orchestrator.api.LogStreams logStreams() {
        return requireStarted(logStreams);
    }

    /** This node's open event streams (GET /api/events). */
    public dev.orchestrator.api.EventStreams eventStreams() {
        return requireStarted(eventStreams);
    }

    /** This node's Server-Sent Event streams, both kinds: how many are open, how many were dropped. */
    public dev.orchestrator.api.SseSlots sseSlots() {
        return requireStarted(sseSlots);
    }

    public JobControl control() {
        return requireStarted(control);
    }

    public OrchestratorConfig config() {
        return requireStarted(config);
    }

    public TokenRegistry tokens() {
        return requireStarted(tokens);
    }

    public AuditTrail audit() {
        return requireStarted(audit);
    }

    public AgentCatalog agents() {
        return requireStarted(agents);
    }

    private static <T> T requireStarted(T value) {
        if (value == null) {
            throw new IllegalStateException("Orchestrator has not started");
        }
        return value;
    }
}
