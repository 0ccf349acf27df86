package dev.orchestrator.reaper;

/**
 * One step of a reaper pass. A step handles its own rows one by one: a row that fails is logged,
 * counted in {@link Result#errors()} and skipped, so one bad row never stops the pass.
 */
@FunctionalInterface
public interface ReaperStep {
    /** What one step did in one pass; the pass's figures are the sum of its steps' results. */
    record Result(int sanitized, int reaped, int errors) {
        public static final Result NOTHING = new Result(0, 0, 0);

        public static Result reaped(int reaped, int errors) {
            return new Result(0, reaped, errors);
        }

        public static Result errors(int errors) {
            return new Result(0, 0, errors);
        }

        public Result plus(Result other) {
            return new Result(sanitized + other.sanitized, reaped + other.reaped, errors + other.errors);
        }
    }

    Result runOnce();
}
