package dev.orchestrator.store;

import dev.orchestrator.domain.job.Ownership;
import dev.orchestrator.domain.node.NodeIdentity;
import dev.orchestrator.store.Sql.Params;
import dev.orchestrator.store.Sql.TextArray;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import javax.sql.DataSource;

/**
 * The {@code nodes} table: registration, heartbeats on the database clock, fencing of expired
 * nodes and the look-ups that recovery needs. A node's lease is compared on the database clock
 * only, so nodes whose clocks disagree still agree on who expired.
 */
public class NodeStore {
    static final Sql REGISTER_NODE = Sql.of("""
            INSERT INTO nodes (id, host, boot_id, jvm_pid, jvm_started_at, jvm_start_ticks, started_at, heartbeat_at)
            VALUES (:id, :host, :boot_id, :jvm_pid, :jvm_started_at, :jvm_start_ticks, :now, now())
            """);

    private static final String SELECT_NODE = "SELECT id, host, boot_id, jvm_pid, jvm_started_at, jvm_start_ticks";

    static final Sql EARLIER_NODES_ON_HOST = Sql.of(SELECT_NODE + """
             FROM nodes
             WHERE host = :host AND id <> :self AND stopped_at IS NULL
            """);

    /** A node's heartbeat, on the database clock. 0 rows: the node was fenced (its lease was reclaimed). */
    static final Sql HEARTBEAT = Sql.of("UPDATE nodes SET heartbeat_at = now() WHERE id = :id AND stopped_at IS NULL");

    /** A fenced node that has killed its runs comes back under the same id. */
    static final Sql REJOIN = Sql.of("UPDATE nodes SET stopped_at = NULL, heartbeat_at = now() WHERE id = :id");

    /** Other nodes whose lease expired (database clock). */
    static final Sql EXPIRED_NODES = Sql.of(SELECT_NODE + """
             FROM nodes
             WHERE stopped_at IS NULL AND id <> :self AND heartbeat_at < now() - make_interval(secs => :lease_seconds)
             ORDER BY id
            """);

    /**
     * Stopped nodes (fenced, or stopped in an orderly way) that still own running jobs: nothing
     * will ever finish those runs, so whichever live node sees them takes them back.
     */
    static final Sql STOPPED_NODES_OWNING_RUNNING_JOBS = Sql.of(SELECT_NODE + """
             FROM nodes n
             WHERE n.stopped_at IS NOT NULL AND n.id <> :self
               AND EXISTS (SELECT 1 FROM jobs j WHERE j.status = 'running' AND j.claimed_by = n.id)
             ORDER BY n.id
            """);

    /** Fences an expired node; exactly one reclaimer wins (row count 1). */
    static final Sql FENCE_EXPIRED_NODE = Sql.of("""
            UPDATE nodes SET stopped_at = now()
             WHERE id = :id AND stopped_at IS NULL AND heartbeat_at < now() - make_interval(secs => :lease_seconds)
            """);

    static final Sql MARK_NODES_STOPPED = Sql.of("""
            UPDATE nodes SET stopped_at = :now WHERE id = ANY (:ids) AND stopped_at IS NULL
            """);

    private final Transactions tx;

    /** Live nodes, and stopped ones of the last day, with their running jobs; newest first. */
    static final Sql STATUS = Sql.of("""
            SELECT n.id, n.host, n.started_at, n.heartbeat_at, n.stopped_at,
                   extract(epoch FROM now() - n.heartbeat_at)::float8 AS heartbeat_age_seconds,
                   n.heartbeat_at + make_interval(secs => :lease_seconds) AS lease_expires_at,
                   (SELECT count(*) FROM jobs j WHERE j.status = 'running' AND j.claimed_by = n.id) AS running
              FROM nodes n
             WHERE n.stopped_at IS NULL OR n.heartbeat_at > now() - interval '1 day'
             ORDER BY n.stopped_at IS NOT NULL, n.started_at DESC, n.id
             LIMIT 200
            """);

    public NodeStore(DataSource dataSource) {
        this.tx = new Transactions(dataSource);
    }

    /** The nodes (live first, then those stopped within a day; at most 200), each with its running jobs. */
    public List<dev.orchestrator.domain.node.NodeStatus> status(Duration lease) {
        return tx.single(c -> STATUS.list(c, Params.of("lease_seconds", (double) lease.toSeconds()), rs ->
                new dev.orchestrator.domain.node.NodeStatus(rs.getString("id"), rs.getString("host"),
                        Sql.instant(rs, "started_at"), Sql.instant(rs, "heartbeat_at"),
                        rs.getDouble("heartbeat_age_seconds"), Sql.instant(rs, "lease_expires_at"),
                        Sql.instant(rs, "stopped_at"), rs.getLong("running"))));
    }

    public void registerNode(NodeIdentity node, Instant now) {
        tx.inTransaction(c -> REGISTER_NODE.update(c, Params.of("id", node.id(), "host", node.host(),
                "boot_id", node.bootId(), "jvm_pid", node.jvmPid(), "jvm_started_at", node.jvmStartedAt(),
                "jvm_start_ticks", node.jvmStartTicks(), "now", now)));
    }

    /** Earlier incarnations on this node's host that never recorded a clean stop. */
    public List<NodeIdentity> earlierNodesOnHost(NodeIdentity node) {
        return tx.inTransaction(c -> EARLIER_NODES_ON_HOST.list(c, Params.of("host", node.host(), "self", node.id()),
                NodeStore::node));
    }

    /** Stopped nodes other than {@code selfId} that still own running jobs. */
    public List<NodeIdentity> stoppedNodesOwningRunningJobs(String selfId) {
        return tx.inTransaction(c -> STOPPED_NODES_OWNING_RUNNING_JOBS.list(c, Params.of("self", selfId),
                NodeStore::node));
    }

    /** This node's heartbeat; LOST when another node has fenced it (reclaimed its lease). */
    public Ownership heartbeat(String nodeId) {
        return tx.inTransaction(c -> Ownership.fromRowCount(HEARTBEAT.update(c, Params.of("id", nodeId))));
    }

    /** Un-fences this node after it has killed the runs that were reclaimed from it. */
    public void rejoin(String nodeId) {
        tx.inTransaction(c -> REJOIN.update(c, Params.of("id", nodeId)));
    }

    /** Other live-looking nodes whose last heartbeat is older than {@code lease} (database clock). */
    public List<NodeIdentity> expiredNodes(String selfId, Duration lease) {
        return tx.inTransaction(c -> EXPIRED_NODES.list(c, Params.of("self", selfId,
                "lease_seconds", (double) lease.toSeconds()), NodeStore::node));
    }

    /** Marks an expired node stopped; true only for the one caller that did it. */
    public boolean fenceExpiredNode(String nodeId, Duration lease) {
        return tx.inTransaction(c -> Ownership.fromRowCount(FENCE_EXPIRED_NODE.update(c, Params.of("id", nodeId,
                "lease_seconds", (double) lease.toSeconds()))).owned());
    }

    /**
     * Also runs for an empty list (start-up marks its dead predecessors, usually none): the orderly
     * stop then finds this statement's path already loaded, also when the container has begun to
     * unload the application's classes.
     */
    public void markNodesStopped(Collection<String> nodeIds, Instant now) {
        tx.inTransaction(c -> MARK_NODES_STOPPED.update(c, Params.of("now", now, "ids", new TextArray(nodeIds))));
    }

    private static NodeIdentity node(ResultSet rs) throws SQLException {
        return new NodeIdentity(rs.getString("id"), rs.getString("host"), rs.getString("boot_id"),
                rs.getLong("jvm_pid"), Sql.instant(rs, "jvm_started_at"), Sql.nullableLong(rs, "jvm_start_ticks"));
    }
}
