package dev.orchestrator.api;

import dev.orchestrator.domain.access.Role;
import jakarta.annotation.security.DeclareRoles;
import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.OpenAPIDefinition;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.info.Info;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The REST API lives under /api. Every request there needs a bearer token ({@link BearerTokenMechanism});
 * the roles are declared here, or {@code @RolesAllowed} would refuse every token.
 */
@ApplicationPath("/api")
@OpenAPIDefinition(
        info = @Info(title = "Orchestrator", version = "1",
                description = "A durable job queue that runs agents as OS processes. Every operation needs "
                        + "Authorization: Bearer TOKEN; roles read < submit < operate < admin. Errors are "
                        + "problem documents (application/problem+json, RFC 9457). Reference: docs/api.md."),
        security = @SecurityRequirement(name = "bearer"),
        tags = {@Tag(name = "jobs"), @Tag(name = "queue"), @Tag(name = "runs"), @Tag(name = "audit"),
                @Tag(name = "tokens")})
@SecurityScheme(securitySchemeName = "bearer", type = SecuritySchemeType.HTTP, scheme = "bearer",
        description = "An API token from the tokens file (ORCH_API_TOKENS_FILE), ORCH_API_TOKEN, or the "
                + "generated admin token (data/admin-token)")
@DeclareRoles({Role.READ_NAME, Role.SUBMIT_NAME, Role.OPERATE_NAME, Role.ADMIN_NAME})
public class RestApplication extends Application {
    /** No WADL: OPTIONS answers with the Allow header only, and /api/application.wadl is a 404. */
    @Override
    public Map<String, Object> getProperties() {
        return Map.of("jersey.config.server.wadl.disableWadl", true);
    }
}
