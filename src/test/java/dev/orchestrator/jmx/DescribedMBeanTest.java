package dev.orchestrator.jmx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.orchestrator.domain.access.Role;
import dev.orchestrator.domain.job.JobStatus;
import dev.orchestrator.service.JobControl;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanParameterInfo;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;
import javax.management.remote.JMXPrincipal;
import javax.security.auth.Subject;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** What JConsole shows: every attribute, operation and parameter described and named; the caller and the answers. */
class DescribedMBeanTest {
    @SuppressWarnings("unchecked")
    private static <T> T stub(Class<T> type) {
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (p, m, a) -> null);
    }

    @ParameterizedTest
    @ValueSource(classes = {QueueMXBean.class, ReaperMXBean.class, NodeMXBean.class, AgentMXBean.class})
    <T> void every_attribute_operation_and_parameter_is_described_in_the_mbean_info(Class<T> type) throws Exception {
        MBeanServer server = MBeanServerFactory.newMBeanServer();
        ObjectName name = new ObjectName("dev.orchestrator:type=Test");
        server.registerMBean(new DescribedMBean<>(stub(type), type), name);
        MBeanInfo info = server.getMBeanInfo(name);

        assertThat(info.getDescription()).isEqualTo(type.getAnnotation(Description.class).value());
        assertThat(info.getAttributes()).isNotEmpty();
        for (MBeanAttributeInfo a : info.getAttributes()) {
            assertThat(a.getDescription()).as(a.getName()).isNotBlank()
                    .isNotEqualTo("Attribute exposed for management");
            assertThat(a.isWritable()).as(a.getName() + " is read-only").isFalse();
        }
        for (MBeanOperationInfo o : info.getOperations()) {
            assertThat(o.getDescription()).as(o.getName()).isNotBlank()
                    .isNotEqualTo("Operation exposed for management");
            for (MBeanParameterInfo p : o.getSignature()) {
                assertThat(p.getName()).as(o.getName()).doesNotMatch("p\\d+");
                assertThat(p.getDescription()).as(o.getName() + " " + p.getName()).isNotBlank().isNotEqualTo("");
            }
        }
        assertThat(info.getDescriptor().getFieldValue("mxbean")).isEqualTo("true");
    }

    @Test
    void the_queue_operations_have_their_parameter_names() throws Exception {
        MBeanServer server = MBeanServerFactory.newMBeanServer();
        ObjectName name = new ObjectName("dev.orchestrator:type=Queue");
        server.registerMBean(new DescribedMBean<>(stub(QueueMXBean.class), QueueMXBean.class), name);
        MBeanInfo info = server.getMBeanInfo(name);
        assertThat(List.of(info.getOperations())).extracting(o -> o.getName() + "(" + (o.getSignature().length == 0
                ? "" : o.getSignature()[0].getName()) + ")")
                .containsExactlyInAnyOrder("pause(repo)", "resume(repo)", "cancel(jobId)", "retry(jobId)", "explain(jobId)");
    }

    /** An interface without descriptions. */
    @Description("undocumented")
    public interface HalfMXBean {
        @Description("ok")
        long getOne();

        long getTwo();
    }

    @Test
    void a_member_without_a_description_is_refused_naming_it() {
        assertThatThrownBy(() -> new DescribedMBean<>(stub(HalfMXBean.class), HalfMXBean.class))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("HalfMXBean.getTwo");
    }

    @Test
    void the_caller_is_the_authenticated_jmx_user_with_the_operate_role_or_jmx_local() {
        Subject s = new Subject();
        s.getPrincipals().add(new JMXPrincipal("ops"));
        assertThat(JmxCallers.user(s)).contains("ops");
        var caller = JmxCallers.caller(JmxCallers.user(s), "10.1.2.3");
        assertThat(caller.name()).isEqualTo("jmx:ops");
        assertThat(caller.roles()).isEqualTo(Role.OPERATE.withIncluded());
        assertThat(caller.repos().unrestricted()).isTrue();
        assertThat(caller.address()).isEqualTo("10.1.2.3");
        assertThat(JmxCallers.caller(JmxCallers.user(null), null).name()).isEqualTo("jmx:local");
        assertThat(JmxCallers.current().name()).as("no JMX call on this thread").isEqualTo("jmx:local");
        assertThat(Set.of(caller.roles().toArray())).doesNotContain(Role.ADMIN);
    }

    @Test
    void a_bad_repo_is_refused_and_empty_means_everything() {
        assertThat(QueueConsole.repo("")).isEmpty();
        assertThat(QueueConsole.repo(null)).isEmpty();
        assertThat(QueueConsole.repo("  ")).isEmpty();
        assertThat(QueueConsole.repo("svc-a")).map(r -> r.value()).contains("svc-a");
        assertThatThrownBy(() -> QueueConsole.repo("../etc")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("repo '../etc'");
    }

    @Test
    void answers_become_text_and_refusals_jdk_exceptions() {
        assertThat(QueueConsole.answer("cancel", 7, new JobControl.Answer(JobControl.Result.DONE, JobStatus.CANCELLED)))
                .isEqualTo("cancel of job 7: done; the job is cancelled");
        assertThat(QueueConsole.answer("cancel", 7, new JobControl.Answer(JobControl.Result.IN_PROGRESS,
                JobStatus.RUNNING))).contains("in progress");
        assertThatThrownBy(() -> QueueConsole.answer("retry", 7, new JobControl.Answer(JobControl.Result.NOT_FOUND,
                null))).isExactlyInstanceOf(IllegalArgumentException.class).hasMessage("job 7 does not exist");
        assertThatThrownBy(() -> QueueConsole.answer("retry", 7, new JobControl.Answer(JobControl.Result.CONFLICT,
                JobStatus.DONE))).isExactlyInstanceOf(IllegalStateException.class)
                .hasMessage("job 7 is done: cannot retry it");
        assertThat(Optional.of(1)).isPresent();
    }

    @Test
    void errors_of_the_application_reach_the_client_as_jdk_exceptions_with_their_message() {
        class AppException extends RuntimeException {
            AppException() {
                super("database down");
            }
        }
        assertThatThrownBy(() -> JmxErrors.clean("cancel", () -> {
            throw new AppException();
        })).isExactlyInstanceOf(IllegalStateException.class).hasNoCause()
                .hasMessageContaining("cancel failed").hasMessageContaining("database down");
        IllegalArgumentException mine = new IllegalArgumentException("job 1 does not exist");
        assertThatThrownBy(() -> JmxErrors.clean("cancel", () -> {
            throw mine;
        })).isSameAs(mine);
    }
}
