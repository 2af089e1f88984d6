package dev.ozworker.api;

/** Every label, annotation and finalizer key the worker writes or reads, in one place. */
public final class AgentTaskKeys {
  /** The worker replica that owns (reconciles and reports) the task. */
  public static final String WORKER_ID_LABEL = AgentTask.GROUP + "/worker-id";

  /** The Oz task id, for tasks that came from Oz; absent on user-authored tasks. */
  public static final String TASK_ID_LABEL = AgentTask.GROUP + "/task-id";

  /**
   * The backend that runs (or ran) the task: {@code docker}, {@code direct} or {@code kubernetes}.
   */
  public static final String BACKEND_LABEL = AgentTask.GROUP + "/backend";

  /**
   * The pod of the replica that owns the task, when it runs in one: another replica adopts the task
   * once that pod is gone.
   */
  public static final String POD_ANNOTATION = AgentTask.GROUP + "/pod";

  /**
   * On an AgentTask or Secret the intake stored: the proof that it did (an HMAC only the worker can
   * make). A task without a valid one is user-authored, whatever its spec says.
   */
  public static final String INTAKE_PROOF_ANNOTATION = AgentTask.GROUP + "/intake-proof";

  /**
   * Set to {@code "true"} by the namespace's owner on a Secret that user-authored AgentTasks may
   * name in {@code spec.envFrom}; the worker never sets it.
   */
  public static final String USABLE_BY_TASKS_LABEL = AgentTask.GROUP + "/usable-by-tasks";

  /** Holds the task until its backend resources are released and teardown has run. */
  public static final String FINALIZER = AgentTask.GROUP + "/teardown";

  private AgentTaskKeys() {}
}
