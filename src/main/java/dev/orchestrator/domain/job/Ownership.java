package dev.orchestrator.domain.job;

/**
 * The answer of a fenced write about a running job: the caller still owned the job (the row
 * count was 1) or had lost it to another writer (0 rows: reaped, recovered, cancelled...).
 */
public enum Ownership {
    OWNED,
    LOST;

    public boolean owned() {
        return this == OWNED;
    }

    /** 1 row: owned; 0 rows: lost; more is a bug in the guard and fails loudly. */
    public static Ownership fromRowCount(int rows) {
        if (rows > 1) {
            throw new IllegalStateException("a fenced update matched " + rows + " rows; expected 0 or 1");
        }
        return rows == 1 ? OWNED : LOST;
    }
}
