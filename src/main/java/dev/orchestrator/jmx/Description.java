package dev.orchestrator.jmx;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The text JConsole and VisualVM show for an MXBean interface, attribute (on its getter),
 * operation or parameter; {@code name} gives a parameter its name (MXBean parameters are otherwise
 * {@code p0}, {@code p1}). Read into the MBeanInfo by {@link DescribedMBean}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.PARAMETER})
public @interface Description {
    String value();

    /** A parameter's name; ignored elsewhere. */
    String name() default "";
}
