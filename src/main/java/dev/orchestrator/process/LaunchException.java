package dev.orchestrator.process;

/** The process could not be started (bad executable, unusable working directory, I/O error). */
public class LaunchException extends Exception {
    private static final long serialVersionUID = 1L;

    public LaunchException(String message) {
        super(message);
    }

    public LaunchException(String message, Throwable cause) {
        super(message, cause);
    }
}
