package dev.orchestrator.api;

import java.util.Locale;
import java.util.Optional;

/**
 * A strict reading of a {@code Content-Type} value (RFC 9110 section 8.3.1):
 * {@code type "/" subtype *( OWS ";" OWS [ name "=" ( token / quoted-string ) ] )}.
 * Frameworks below differ on malformed values (some fail with a server error, some with an HTML
 * page); reading it here first makes every malformed one the same 400.
 */
record MediaTypeHeader(String type, String subtype, Optional<String> charset) {
    private static final String TCHARS = "!#$%&'*+-.^_`|~";

    /** Thrown with a client-facing reason when the value does not follow the grammar. */
    static final class MalformedException extends Exception {
        private static final long serialVersionUID = 1L;

        MalformedException(String reason) {
            super(reason, null, false, false);
        }
    }

    static MediaTypeHeader parse(String raw) throws MalformedException {
        Reader r = new Reader(raw);
        r.skipOws();
        String type = r.token("a media type such as application/json");
        r.expect('/', "a '/' between type and subtype");
        String subtype = r.token("a subtype after '/'");
        String charset = null;
        while (true) {
            r.skipOws();
            if (r.atEnd()) {
                break;
            }
            r.expect(';', "';' before a parameter");
            r.skipOws();
            if (r.atEnd() || r.peek() == ';') {
                continue; // empty parameters are allowed
            }
            String name = r.token("a parameter name");
            r.expect('=', "'=' after parameter " + name);
            String value = r.atEnd() ? null : r.peek() == '"' ? r.quoted() : r.tokenOrNull();
            if (value == null) {
                throw new MalformedException("parameter " + name + " has no value");
            }
            if (name.equalsIgnoreCase("charset")) {
                if (charset != null) {
                    throw new MalformedException("charset is given twice");
                }
                charset = value;
            }
        }
        return new MediaTypeHeader(type.toLowerCase(Locale.ROOT), subtype.toLowerCase(Locale.ROOT),
                Optional.ofNullable(charset));
    }

    private static final class Reader {
        private final String s;
        private int i;

        Reader(String s) {
            this.s = s;
        }

        boolean atEnd() {
            return i >= s.length();
        }

        char peek() {
            return s.charAt(i);
        }

        void skipOws() {
            while (!atEnd() && (peek() == ' ' || peek() == '\t')) {
                i++;
            }
        }

        void expect(char c, String what) throws MalformedException {
            if (atEnd() || peek() != c) {
                throw new MalformedException("expected " + what);
            }
            i++;
        }

        String tokenOrNull() {
            int start = i;
            while (!atEnd() && isTchar(peek())) {
                i++;
            }
            return i == start ? null : s.substring(start, i);
        }

        String token(String what) throws MalformedException {
            String t = tokenOrNull();
            if (t == null) {
                throw new MalformedException("expected " + what);
            }
            return t;
        }

        String quoted() throws MalformedException {
            i++; // opening quote
            StringBuilder out = new StringBuilder();
            while (!atEnd()) {
                char c = s.charAt(i++);
                if (c == '"') {
                    return out.toString();
                }
                if (c == '\\') {
                    if (atEnd()) {
                        break;
                    }
                    c = s.charAt(i++);
                }
                if (c < 0x20 && c != '\t' || c == 0x7f) {
                    throw new MalformedException("control character in a quoted parameter value");
                }
                out.append(c);
            }
            throw new MalformedException("unterminated quoted parameter value");
        }

        private static boolean isTchar(char c) {
            return c < 0x80 && (Character.isLetterOrDigit(c) || TCHARS.indexOf(c) >= 0);
        }
    }
}
