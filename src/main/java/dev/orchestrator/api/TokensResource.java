package dev.orchestrator.api;

import dev.orchestrator.domain.access.ApiToken;
import dev.orchestrator.domain.access.Role;
import dev.orchestrator.domain.access.TokenRegistry;
import jakarta.annotation.security.RolesAllowed;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

/** The configured tokens (admin): names, roles, repo scopes and sources; never a secret or a hash. */
@Path("tokens")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class TokensResource {
    @Inject
    TokenRegistry tokens;

    @GET
    @RolesAllowed(Role.ADMIN_NAME)
    public TokensDto list() {
        return new TokensDto(tokens.tokens().stream().map(TokenDto::of).toList());
    }

    /** A token without its secret. */
    public record TokenDto(String name, List<String> roles, List<String> repos, String source) {
        static TokenDto of(ApiToken t) {
            return new TokenDto(t.name(), t.granted().stream().sorted().map(Role::id).toList(),
                    t.repos().patterns(), t.source());
        }
    }

    /** All tokens. */
    public record TokensDto(List<TokenDto> tokens) {
    }
}
