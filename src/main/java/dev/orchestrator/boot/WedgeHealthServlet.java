package dev.orchestrator.boot;

import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonObjectBuilder;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.eclipse.microprofile.health.HealthCheckResponse;

/**
 * {@code GET /wedge}: the wedge alarm as a probe of its own, in MicroProfile Health's wire format
 * (200 UP, 503 DOWN), open like every probe. Not {@code /health/group/wedge}: Payara Micro 6.2025.10
 * implements MicroProfile Health 4.0, which has no {@code @HealthGroup}, and its health endpoint
 * answers every path below {@code /health/} itself (an unknown one with all checks), ahead of this
 * application's servlets (tried: an exact mapping at {@code /health/group/wedge} is never reached).
 */
@WebServlet(urlPatterns = "/wedge")
public class WedgeHealthServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Inject
    transient HealthChecks checks;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        HealthCheckResponse r = checks.wedgeCheck().call();
        boolean up = r.getStatus() == HealthCheckResponse.Status.UP;
        JsonObjectBuilder check = Json.createObjectBuilder().add("name", r.getName()).add("status", r.getStatus().name());
        r.getData().ifPresent(data -> {
            JsonObjectBuilder d = Json.createObjectBuilder();
            data.forEach((k, v) -> d.add(k, String.valueOf(v)));
            check.add("data", d);
        });
        String body = Json.createObjectBuilder().add("status", up ? "UP" : "DOWN")
                .add("checks", Json.createArrayBuilder().add(check)).build().toString();
        resp.setStatus(up ? 200 : 503);
        resp.setContentType("application/json");
        resp.setCharacterEncoding(StandardCharsets.UTF_8.name());
        resp.getWriter().write(body);
    }
}
