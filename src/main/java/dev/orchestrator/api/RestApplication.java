package dev.orchestrator.api;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;
import java.util.Map;

/** The REST API lives under /api. */
@ApplicationPath("/api")
public class RestApplication extends Application {
    /** No WADL: OPTIONS answers with the Allow header only, and /api/application.wadl is a 404. */
    @Override
    public Map<String, Object> getProperties() {
        return Map.of("jersey.config.server.wadl.disableWadl", true);
    }
}
