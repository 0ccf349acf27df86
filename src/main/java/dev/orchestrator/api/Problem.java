package dev.orchestrator.api;

/**
 * An error as a problem document (RFC 9457): {@code field} names the offending input, if any. Written in
 * the order RFC 9457 lists the members (and the servlet filters write them), not Yasson's alphabetical one.
 */
@jakarta.json.bind.annotation.JsonbPropertyOrder({"type", "title", "status", "detail", "field"})
public record Problem(String type, String title, int status, String detail, String field) {
    public static final String MEDIA_TYPE = "application/problem+json";

    public static Problem of(int status, String title, String detail, String field) {
        return new Problem("about:blank", title, status, detail, field);
    }
}
