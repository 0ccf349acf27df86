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
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The configured tokens (admin): names, roles, repo scopes and sources; never a secret or a hash. */
@Tag(name = "tokens", description = "The configured API tokens, never a secret")
@SecurityRequirement(name = "bearer")
@Path("tokens")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class TokensResource {
    @Inject
    TokenRegistry tokens;

    @Inject
    Callers callers;

    @Operation(operationId = "listTokens", summary = "The configured tokens",
            description = "Every configured token: name, roles, repo patterns and where it was configured; never a "
                    + "secret or a hash (role admin). Read from memory: no database.")
    @APIResponse(responseCode = "200", description = "The tokens",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = TokensDto.class),
                    examples = @ExampleObject(name = "200", value = ApiExamples.TOKENS)))
    @APIResponse(responseCode = "401", description = "No valid bearer token (no Authorization header, not Bearer "
            + "TOKEN, or an unknown token); WWW-Authenticate: Bearer realm=orchestrator",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P401)))
    @APIResponse(responseCode = "403", description = "The token lacks the role admin",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P403)))
    @GET
    @RolesAllowed(Role.ADMIN_NAME)
    public TokensDto list() {
        return new TokensDto(tokens.tokens().stream().map(TokenDto::of).toList());
    }

    @Operation(operationId = "getCurrentToken", summary = "The token of this request",
            description = "The calling token's name, its roles (with the roles they include: admin includes operate, "
                    + "operate includes submit, submit includes read) and its repo patterns (empty: every repo), so "
                    + "that a client can show only what the token may do (role read). Never a secret.")
    @APIResponse(responseCode = "200", description = "The token",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = MeDto.class),
                    examples = @ExampleObject(name = "200", value = ApiExamples.ME)))
    @APIResponse(responseCode = "401", description = "No valid bearer token (no Authorization header, not Bearer "
            + "TOKEN, or an unknown token); WWW-Authenticate: Bearer realm=orchestrator",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P401)))
    @APIResponse(responseCode = "403", description = "The token lacks the role read",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P403)))
    @GET
    @RolesAllowed(Role.READ_NAME)
    @jakarta.ws.rs.Path("me")
    public MeDto me() {
        dev.orchestrator.domain.access.Caller caller = callers.current();
        return new MeDto(caller.name(), caller.roles().stream().sorted().map(Role::id).toList(),
                caller.repos().patterns());
    }

    /** The calling token: name, every role it has (included ones too), repo patterns. */
    public record MeDto(String name, List<String> roles, List<String> repos) {
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
