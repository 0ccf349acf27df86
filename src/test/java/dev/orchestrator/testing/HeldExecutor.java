package dev.orchestrator.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/** An executor whose tasks can be held back, to put a node's asynchronous work in a chosen order. */
public final class HeldExecutor implements Executor {
    private final Executor delegate;
    private final List<Runnable> held = new ArrayList<>();
    private boolean holding;

    public HeldExecutor(Executor delegate) {
        this.delegate = delegate;
    }

    public synchronized void hold() {
        holding = true;
    }

    public synchronized int heldCount() {
        return held.size();
    }

    /** Runs what was held, and everything from now on, on the delegate. */
    public void release() {
        List<Runnable> tasks;
        synchronized (this) {
            holding = false;
            tasks = List.copyOf(held);
            held.clear();
        }
        tasks.forEach(delegate::execute);
    }

    @Override
    public void execute(Runnable task) {
        synchronized (this) {
            if (holding) {
                held.add(task);
                return;
            }
        }
        delegate.execute(task);
    }
}
