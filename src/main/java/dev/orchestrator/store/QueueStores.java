package dev.orchestrator.store;

import javax.sql.DataSource;

/** The queue's stores on one (non-JTA) data source, one per concern. */
public record QueueStores(ClaimStore claims, FinishStore finishes, ControlStore control, NodeStore nodes,
                          AuditStore audit, EventStore events) {
    public static QueueStores on(DataSource dataSource) {
        return new QueueStores(new ClaimStore(dataSource), new FinishStore(dataSource), new ControlStore(dataSource),
                new NodeStore(dataSource), new AuditStore(dataSource),
                new EventStore(dataSource));
    }
}
