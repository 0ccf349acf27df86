package dev.orchestrator.boot;

import dev.orchestrator.jmx.AgentConsole;
import dev.orchestrator.jmx.AgentMXBean;
import dev.orchestrator.jmx.DescribedMBean;
import dev.orchestrator.jmx.InContainer;
import dev.orchestrator.jmx.NodeConsole;
import dev.orchestrator.jmx.NodeMXBean;
import dev.orchestrator.jmx.QueueConsole;
import dev.orchestrator.jmx.QueueMXBean;
import dev.orchestrator.jmx.ReaperConsole;
import dev.orchestrator.jmx.ReaperMXBean;
import dev.orchestrator.node.OrchestratorNode;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.ejb.ConcurrencyManagement;
import jakarta.ejb.ConcurrencyManagementType;
import jakarta.ejb.DependsOn;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.enterprise.concurrent.ContextService;
import jakarta.inject.Inject;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Registers the JMX admin console ({@code dev.orchestrator:type=Queue|Reaper|Node},
 * {@code type=Agent,name=...}) in the platform MBean server at start and removes it at undeploy.
 * A bean left by an earlier deployment in the same JVM is replaced. JMX calls arrive on RMI threads
 * without the application's context; the beans run what needs it (the entity path of
 * {@code JobControl}, the reaper's pass) through a contextual proxy made here, on a container thread.
 */
@Singleton
@Startup
@DependsOn("Bootstrap")
@ConcurrencyManagement(ConcurrencyManagementType.BEAN)
public class JmxConsole {
    private static final Logger LOG = Logger.getLogger(JmxConsole.class.getName());
    public static final String DOMAIN = "dev.orchestrator";

    @Inject
    Bootstrap bootstrap;

    @Resource
    ContextService contexts;

    private final List<ObjectName> registered = new ArrayList<>();

    @PostConstruct
    void register() {
        OrchestratorNode node = bootstrap.node();
        InContainer container = contexts.createContextualProxy(new InContainer.Direct(), InContainer.class);
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try {
            put(server, name("type=Queue"), new DescribedMBean<>(new QueueConsole(node, bootstrap.control(),
                    container), QueueMXBean.class));
            put(server, name("type=Reaper"), new DescribedMBean<>(new ReaperConsole(node, container),
                    ReaperMXBean.class));
            put(server, name("type=Node"), new DescribedMBean<>(new NodeConsole(node, bootstrap.config().nodeLease()),
                    NodeMXBean.class));
            for (String agent : bootstrap.agents().names()) {
                put(server, name("type=Agent,name=" + agentKey(agent)),
                        new DescribedMBean<>(new AgentConsole(node, agent), AgentMXBean.class));
            }
            LOG.log(Level.INFO, "JMX console registered: {0}", registered);
        } catch (JMException e) {
            unregister();
            throw new IllegalStateException("cannot register the JMX console: " + e.getMessage(), e);
        }
    }

    /** The agent's name as an ObjectName value: as it is, quoted only if it holds a character JMX reserves. */
    static String agentKey(String agent) {
        return agent.matches("[^,=:\"*?\\\\\n]+") ? agent : ObjectName.quote(agent);
    }

    static ObjectName name(String properties) throws JMException {
        return new ObjectName(DOMAIN + ":" + properties);
    }

    private void put(MBeanServer server, ObjectName name, Object bean) throws JMException {
        if (server.isRegistered(name)) { // left by an earlier deployment in this JVM
            try {
                server.unregisterMBean(name);
            } catch (InstanceNotFoundException e) {
                // gone meanwhile
            }
        }
        server.registerMBean(bean, name);
        registered.add(name);
    }

    @PreDestroy
    void unregister() {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        for (ObjectName name : registered) {
            try {
                server.unregisterMBean(name);
            } catch (InstanceNotFoundException e) {
                // already gone
            } catch (JMException | RuntimeException e) {
                LOG.log(Level.WARNING, "could not unregister " + name, e);
            }
        }
        registered.clear();
    }
}
