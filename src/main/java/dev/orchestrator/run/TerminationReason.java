package dev.orchestrator.run;

/**
 * Why this node killed one of its runs. The reason is attached to the watched run before its
 * process group is signalled, so that its exit is finished by the reason rather than as a bare
 * signal; {@link #ending()} steers how, and {@link #text()} is the error stored for people.
 */
public sealed interface TerminationReason {
    /** How a run killed for this reason ends its job. */
    enum Ending {
        /** Back to queued, no attempt counted (this node gave the run up, not the job). */
        REQUEUED_UNCOUNTED,
        /** Cancelled. */
        CANCELLED,
        /** A failed attempt: requeued while attempts remain, else failed. */
        FAILED_ATTEMPT
    }

    NodeShutdown NODE_SHUTDOWN = new NodeShutdown();
    OperatorCancel OPERATOR_CANCEL = new OperatorCancel();

    Ending ending();

    /** The error text stored on the job and its run. */
    String text();

    /** The node stops in an orderly way and gives its runs back. */
    record NodeShutdown() implements TerminationReason {
        @Override
        public Ending ending() {
            return Ending.REQUEUED_UNCOUNTED;
        }

        @Override
        public String text() {
            return "node shut down while the run was in progress; requeued";
        }
    }

    /** An operator cancelled the job. */
    record OperatorCancel() implements TerminationReason {
        @Override
        public Ending ending() {
            return Ending.CANCELLED;
        }

        @Override
        public String text() {
            return "cancelled by operator";
        }
    }

    /** The run outlived its agent's {@code timeout_seconds}. */
    record Timeout(long timeoutSeconds) implements TerminationReason {
        @Override
        public Ending ending() {
            return Ending.FAILED_ATTEMPT;
        }

        @Override
        public String text() {
            return "timed out: ran longer than the agent's timeout_seconds=" + timeoutSeconds;
        }
    }

    /** This node lost (or may have lost) its lease, so other nodes may take its jobs back. */
    record NodeFenced(String why) implements TerminationReason {
        @Override
        public Ending ending() {
            return Ending.FAILED_ATTEMPT;
        }

        @Override
        public String text() {
            return "killed: node fenced (" + why + ")";
        }
    }

    /** The run's process could not be recorded, so nothing could ever judge it. */
    record UnrecordedProcess(long pid, String cause) implements TerminationReason {
        @Override
        public Ending ending() {
            return Ending.FAILED_ATTEMPT;
        }

        @Override
        public String text() {
            return "killed: its process " + pid + " could not be recorded (" + cause + ")";
        }
    }
}
