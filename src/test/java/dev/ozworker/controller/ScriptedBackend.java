package dev.ozworker.controller;

import dev.ozworker.api.BackendRef;
import dev.ozworker.api.FailureReason;
import dev.ozworker.backend.Backend;
import dev.ozworker.backend.TaskFailure;
import dev.ozworker.backend.TaskListener;
import dev.ozworker.backend.TaskOutcome;
import dev.ozworker.config.BackendKind;
import dev.ozworker.task.TaskSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-memory backend that does what each test tells it, per run id, and records every call. Its
 * news reaches the listener from its own thread, as a real backend's would; a {@link #stepped()}
 * one holds its news until the test delivers it, for tests that decide what happens when. Runs
 * outlive a controller: after {@link #loseListeners()} (the worker process died) a run goes on, and
 * {@link #reattach} finds it, or its result if it ended meanwhile.
 */
public final class ScriptedBackend implements Backend {
  /** What a run does after {@link #start}. */
  public enum Script {
    /** Runs until finished by the test or cancelled. */
    RUN,
    /** Stays preparing (e.g. a slow image pull) until cancelled. */
    PREPARE,
    /** Runs and ends at once with the scripted outcome. */
    END,
    /** Refuses to start: {@link #start} throws. */
    REFUSE
  }

  private record Plan(Script script, TaskOutcome outcome) {}

  private static final class Live {
    volatile TaskListener listener;
    volatile boolean running;

    Live(TaskListener listener) {
      this.listener = listener;
    }
  }

  /** Where news is told; none for a stepped backend, which holds it in {@link #heldNews}. */
  private final ExecutorService newsThread;

  private final Queue<Runnable> heldNews = new ConcurrentLinkedQueue<>();
  private final Map<String, Plan> plans = new ConcurrentHashMap<>();
  private final Map<String, Live> live = new ConcurrentHashMap<>();
  private final Map<String, TaskOutcome> ended = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<Optional<TaskFailure>>> teardowns =
      new ConcurrentHashMap<>();
  private final Map<String, TaskSpec> specs = new ConcurrentHashMap<>();
  private final List<String> calls = new ArrayList<>();
  private final List<Duration> graces = new ArrayList<>();
  private volatile boolean locatesLater;
  private volatile boolean tellsAsItStarts;
  private volatile boolean outlivesWorker;
  private final Map<String, BackendRef> reattachedWith = new ConcurrentHashMap<>();
  private final AtomicInteger running = new AtomicInteger();
  private final AtomicInteger mostRunning = new AtomicInteger();

  /** A backend whose news reaches the listener from its own thread. */
  public ScriptedBackend() {
    this(Executors.newSingleThreadExecutor());
  }

  private ScriptedBackend(ExecutorService newsThread) {
    this.newsThread = newsThread;
  }

  /**
   * A backend whose news (running, located, finished) waits until {@link #deliverNews()}, so that
   * nothing happens behind the test's back.
   */
  public static ScriptedBackend stepped() {
    return new ScriptedBackend(null);
  }

  /**
   * Delivers the news held so far, and any it leads to, on the calling thread; a stepped backend's
   * only way to tell its listeners anything.
   *
   * @return how many pieces of news were delivered
   */
  public int deliverNews() {
    int delivered = 0;
    for (Runnable next = heldNews.poll(); next != null; next = heldNews.poll()) {
      next.run();
      delivered++;
    }
    return delivered;
  }

  /** Scripts the run with this id; unscripted runs {@link Script#RUN}. */
  public ScriptedBackend script(String runId, Script script) {
    plans.put(runId, new Plan(script, null));
    return this;
  }

  /** The run ends at once with this outcome. */
  public ScriptedBackend ends(String runId, TaskOutcome outcome) {
    plans.put(runId, new Plan(Script.END, outcome));
    return this;
  }

  /**
   * From now on {@link #start} returns only the planned reference and tells the listener the
   * process id and workspace afterwards, as a backend that spawns in the background does.
   */
  public ScriptedBackend locatingLater() {
    locatesLater = true;
    return this;
  }

  /**
   * From now on {@link #start} tells what a start has to tell (located, running, and the end of a
   * run that ends at once) before it returns, on the caller's thread, as a backend that spawns the
   * agent itself does; whatever comes later still waits for {@link #deliverNews()} when stepped.
   */
  public ScriptedBackend tellingAsItStarts() {
    tellsAsItStarts = true;
    return this;
  }

  /**
   * Its runs go on when the worker's pod is gone, as containers do: a replica in another pod may
   * reattach to them. Without this, they are processes that end with the pod.
   */
  public ScriptedBackend outlivingTheWorker() {
    outlivesWorker = true;
    return this;
  }

  @Override
  public boolean runsOutliveWorker() {
    return outlivesWorker;
  }

  /** The reference the last {@link #reattach} of this run was given. */
  public BackendRef reattachedWith(String runId) {
    return reattachedWith.get(runId);
  }

  /** The run's teardown waits until the returned future is completed. */
  public CompletableFuture<Optional<TaskFailure>> holdTeardown(String runId) {
    return teardowns.computeIfAbsent(runId, id -> new CompletableFuture<>());
  }

  /** Ends a running run, as its agent exiting would. */
  public void finish(String runId, TaskOutcome outcome) {
    tell(() -> end(runId, outcome));
  }

  /** The worker process died: nobody hears about the runs any more; they go on. */
  public void loseListeners() {
    live.values().forEach(run -> run.listener = new Deaf());
  }

  @Override
  public BackendKind kind() {
    return BackendKind.DIRECT;
  }

  @Override
  public BackendRef start(TaskSpec spec, TaskListener listener) throws TaskFailure {
    String runId = spec.runId();
    record("start", runId);
    specs.put(runId, spec);
    Plan plan = plans.getOrDefault(runId, new Plan(Script.RUN, null));
    if (plan.script() == Script.REFUSE) {
      throw new TaskFailure(FailureReason.WORKSPACE_SETUP, "workspace root is not writable");
    }
    Live run = new Live(listener);
    live.put(runId, run);
    mostRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
    BackendRef full =
        new BackendRef(kind().configName(), runId, null, 4242L, "/workspaces/" + runId, null);
    boolean later = locatesLater;
    Runnable news =
        () -> {
          if (later) {
            run.listener.located(full);
          }
          if (plan.script() != Script.PREPARE) {
            run.running = true;
            run.listener.running();
          }
          if (plan.script() == Script.END) {
            end(runId, plan.outcome());
          }
        };
    if (tellsAsItStarts) {
      news.run();
    } else {
      tell(news);
    }
    return later ? BackendRef.planned(kind().configName(), runId) : full;
  }

  @Override
  public void reattach(TaskSpec spec, BackendRef ref, TaskListener listener) throws TaskFailure {
    record("reattach", ref.runId());
    reattachedWith.put(ref.runId(), ref);
    specs.put(ref.runId(), spec);
    Live run = live.get(ref.runId());
    TaskOutcome outcome = ended.get(ref.runId());
    if (run == null && outcome == null) {
      throw new TaskFailure(
          FailureReason.UNKNOWN,
          "the worker restarted and found no process for run " + ref.runId());
    }
    tell(
        () -> {
          if (run != null) {
            run.listener = listener;
            if (run.running) {
              listener.running();
            }
          } else {
            listener.finished(outcome);
          }
        });
  }

  @Override
  public void cancel(BackendRef ref, Duration grace) {
    record("cancel", ref.runId());
    synchronized (graces) {
      graces.add(grace);
    }
    tell(() -> end(ref.runId(), new TaskOutcome.Cancelled("terminated")));
  }

  @Override
  public CompletionStage<Optional<TaskFailure>> cleanup(BackendRef ref) {
    record("cleanup", ref.runId());
    return teardowns.computeIfAbsent(
        ref.runId(), id -> CompletableFuture.completedFuture(Optional.empty()));
  }

  @Override
  public void close() {
    if (newsThread != null) {
      newsThread.shutdownNow();
    }
  }

  /** How often {@code call} (start, reattach, cancel, cleanup) was made for the run. */
  public int count(String call, String runId) {
    synchronized (calls) {
      return (int) calls.stream().filter((call + ":" + runId)::equals).count();
    }
  }

  /** Every {@code call} made, for any run. */
  public int count(String call) {
    synchronized (calls) {
      return (int) calls.stream().filter(c -> c.startsWith(call + ":")).count();
    }
  }

  public List<String> calls() {
    synchronized (calls) {
      return List.copyOf(calls);
    }
  }

  public List<Duration> graces() {
    synchronized (graces) {
      return List.copyOf(graces);
    }
  }

  /** The spec the run was started or reattached with. */
  public TaskSpec spec(String runId) {
    return specs.get(runId);
  }

  /** The most runs that were live at once. */
  public int mostRunningAtOnce() {
    return mostRunning.get();
  }

  public boolean isLive(String runId) {
    return live.containsKey(runId);
  }

  private void end(String runId, TaskOutcome outcome) {
    Live run = live.remove(runId);
    if (run != null) {
      running.decrementAndGet();
      ended.put(runId, outcome);
      run.listener.finished(outcome);
    }
  }

  private void tell(Runnable news) {
    if (newsThread == null) {
      heldNews.add(news);
    } else {
      newsThread.execute(news);
    }
  }

  private void record(String call, String runId) {
    synchronized (calls) {
      calls.add(call + ":" + runId);
    }
  }

  private static final class Deaf implements TaskListener {
    @Override
    public void running() {}

    @Override
    public void finished(TaskOutcome outcome) {}
  }
}
