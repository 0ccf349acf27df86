package dev.orchestrator.runfiles;

/** File names inside a run's directory ({@code <data>/runs/<job id>/<run id>/}). */
public final class RunFilesLayout {
    public static final String LOG_FILE = "output.log";
    public static final String PAYLOAD_FILE = "payload.json";
    /** Written by the run's wrapper when the agent ends: its exit status, one decimal line. */
    public static final String EXIT_FILE = "exit_status";

    private RunFilesLayout() {
    }
}
