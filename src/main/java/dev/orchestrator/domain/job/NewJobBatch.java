package dev.orchestrator.domain.job;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * A validated batch of new jobs, enqueued together in one transaction. Item {@code i} may depend on
 * existing jobs ({@link NewJob#dependsOn()}) and on earlier items of the batch
 * ({@code dependsOnIndex().get(i)}, each index below {@code i}), so the graph stays acyclic by
 * construction, as for a single enqueue.
 */
public record NewJobBatch(List<NewJob> jobs, List<List<Integer>> dependsOnIndex) {
    public NewJobBatch {
        jobs = List.copyOf(jobs);
        dependsOnIndex = dependsOnIndex.stream().map(d -> List.copyOf(new TreeSet<>(d))).toList();
        if (jobs.isEmpty() || jobs.size() != dependsOnIndex.size()) {
            throw new IllegalArgumentException("a batch holds at least one job, each with its (possibly empty) "
                    + "list of earlier items");
        }
        for (int i = 0; i < jobs.size(); i++) {
            Objects.requireNonNull(jobs.get(i), "job");
            for (int d : dependsOnIndex.get(i)) {
                if (d < 0 || d >= i) {
                    throw new IllegalArgumentException("item " + i + " may only depend on earlier items, not " + d);
                }
            }
        }
    }

    /** A batch of one job with no dependency inside the batch (a single enqueue). */
    public static NewJobBatch of(NewJob job) {
        return new NewJobBatch(List.of(job), List.of(List.of()));
    }

    /**
     * The key stored on item {@code index} of a batch enqueued under {@code key}: the key itself on
     * the first item (so a single enqueue and a batch share one key space), {@code "key index"} on
     * the others. A client's key never holds a space, so no client key can equal an item's key.
     */
    public static String itemKey(String key, int index) {
        return index == 0 ? key : key + " " + index;
    }

    public int size() {
        return jobs.size();
    }

    /**
     * A digest of the whole batch (every item after defaults, in order), to tell a retried batch
     * (same Idempotency-Key, same request) from a conflicting one. Never equal to a single job's
     * {@link NewJob#requestHash()}: a key used for a single enqueue conflicts with a batch.
     */
    public String requestHash() {
        StringBuilder canonical = new StringBuilder("batch\n").append(jobs.size()).append('\n');
        for (int i = 0; i < jobs.size(); i++) {
            canonical.append(jobs.get(i).requestHash()).append(' ').append(dependsOnIndex.get(i)).append('\n');
        }
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(canonical.toString()
                    .getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
