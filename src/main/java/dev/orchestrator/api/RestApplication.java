package dev.orchestrator.api;

import dev.orchestrator.domain.access.Role;
import jakarta.annotation.security.DeclareRoles;
import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;
import java.util.Map;

/**
 * The REST API lives under /api. Every request there needs a bearer token ({@link BearerTokenMechanism});
 * the roles are declared here, or {@code @RolesAllowed} would refuse every token.
 */
@ApplicationPath("/api")
@DeclareRoles({Role.READ_NAME, Role.SUBMIT_NAME, Role.OPERATE_NAME, Role.ADMIN_NAME})
public class RestApplication extends Application {
    /** No WADL: OPTIONS answers with the Allow header only, and /api/application.wadl is a 404. */
    @Override
    public Map<String, Object> getProperties() {
        return Map.of("jersey.config.server.wadl.disableWadl", true);
    }
}
