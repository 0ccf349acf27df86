package dev.orchestrator.jmx;

import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanParameterInfo;
import javax.management.StandardMBean;

/**
 * An MXBean whose MBeanInfo carries the {@link Description}s of its interface: standard MXBeans
 * describe nothing (JConsole would show the Java names only). Every attribute, operation and
 * parameter of the interface must be described; a missing one fails the registration, naming it.
 */
public final class DescribedMBean<T> extends StandardMBean {
    private final Class<T> type;
    private final Map<String, Method> getters = new HashMap<>();
    private final Map<String, Method> operations = new HashMap<>();

    public DescribedMBean(T implementation, Class<T> mxbeanInterface) {
        super(implementation, mxbeanInterface, true);
        this.type = mxbeanInterface;
        require(mxbeanInterface.getAnnotation(Description.class), mxbeanInterface.getName());
        for (Method m : mxbeanInterface.getMethods()) {
            require(m.getAnnotation(Description.class), mxbeanInterface.getSimpleName() + "." + m.getName());
            String attribute = attributeName(m);
            if (attribute != null) {
                getters.put(attribute, m);
            } else {
                if (operations.put(m.getName(), m) != null) {
                    throw new IllegalArgumentException(mxbeanInterface.getName() + ": overloaded operation "
                            + m.getName() + " (not supported by the descriptions)");
                }
                for (Parameter p : m.getParameters()) {
                    Description d = require(p.getAnnotation(Description.class), mxbeanInterface.getSimpleName() + "."
                            + m.getName() + " parameter " + p.getName());
                    if (d.name().isBlank()) {
                        throw new IllegalArgumentException(mxbeanInterface.getSimpleName() + "." + m.getName()
                                + ": a parameter's @Description needs a name");
                    }
                }
            }
        }
    }

    private static Description require(Description d, String what) {
        if (d == null) {
            throw new IllegalArgumentException(what + " has no @Description");
        }
        return d;
    }

    /** The attribute a method reads, or null for an operation (JMX naming: getX, isX for boolean). */
    private static String attributeName(Method m) {
        if (m.getParameterCount() != 0 || m.getReturnType() == void.class) {
            return null;
        }
        String n = m.getName();
        if (n.startsWith("get") && n.length() > 3) {
            return n.substring(3);
        }
        if (n.startsWith("is") && n.length() > 2 && m.getReturnType() == boolean.class) {
            return n.substring(2);
        }
        return null;
    }

    @Override
    protected String getDescription(MBeanInfo info) {
        return type.getAnnotation(Description.class).value();
    }

    @Override
    protected String getDescription(MBeanAttributeInfo info) {
        Method m = getters.get(info.getName());
        return m == null ? info.getDescription() : m.getAnnotation(Description.class).value();
    }

    @Override
    protected String getDescription(MBeanOperationInfo info) {
        Method m = operations.get(info.getName());
        return m == null ? info.getDescription() : m.getAnnotation(Description.class).value();
    }

    @Override
    protected String getParameterName(MBeanOperationInfo op, MBeanParameterInfo param, int sequence) {
        Description d = parameter(op, sequence);
        return d == null ? param.getName() : d.name();
    }

    @Override
    protected String getDescription(MBeanOperationInfo op, MBeanParameterInfo param, int sequence) {
        Description d = parameter(op, sequence);
        return d == null ? param.getDescription() : d.value();
    }

    @Override
    protected int getImpact(MBeanOperationInfo info) {
        return MBeanOperationInfo.ACTION;
    }

    private Description parameter(MBeanOperationInfo op, int sequence) {
        Method m = operations.get(op.getName());
        if (m == null || sequence >= m.getParameterCount()) {
            return null;
        }
        return m.getParameters()[sequence].getAnnotation(Description.class);
    }

    @Override
    public String toString() {
        return "DescribedMBean[" + type.getName() + ", operations " + Arrays.toString(
                operations.keySet().stream().sorted().toArray()) + "]";
    }
}
