package dev.ozworker.intake;

import dev.ozworker.observe.ApiServerError;

/**
 * Why the API server did not store an assignment, and so how the intake answers it (ADR 0013): a
 * refusal that may pass on its own is rejected, so Oz offers the task again; a refusal of this
 * task's content is final, so the task is claimed and failed rather than offered forever; a refusal
 * that says the worker itself cannot store anything is rejected too, and marks the worker not ready
 * until a store succeeds.
 *
 * @param kind which of the three it is
 * @param error what the server said
 */
record StoreFailure(Kind kind, ApiServerError error) {

  /** The three answers. */
  enum Kind {
    /** Unreachable, timed out, throttled, failing, overloaded: reject, Oz offers it again. */
    TRANSIENT,
    /** The server refuses this task's content (400, 413, 422, too large): claim and fail it. */
    TASK,
    /** The worker cannot store any task (401, 403, 404: credentials, RBAC, CRD or namespace). */
    WORKER
  }

  /** Classifies what the server said; an HTTP code the table does not name counts as transient. */
  static StoreFailure of(ApiServerError error) {
    return new StoreFailure(kindOf(error), error);
  }

  /** etcd's answer to a write over its size limit, which a v1.20 API server passes on as a 500. */
  static final String ETCD_TOO_LARGE = "etcdserver: request is too large";

  private static Kind kindOf(ApiServerError error) {
    if (error.message().contains(ETCD_TOO_LARGE)) {
      return Kind.TASK; // the same task is as large on every try
    }
    return switch (error.code()) {
      case 400, 413, 422 -> Kind.TASK;
      case 401, 403, 404 -> Kind.WORKER;
      // 0: no answer; 408/429/5xx: the server asks to come back; anything else is not known to be
      // final, and a rejection is the answer that loses nothing.
      default -> Kind.TRANSIENT;
    };
  }

  /** What an operator does about a {@link Kind#WORKER} failure, in {@code namespace}. */
  String fix(String namespace) {
    return switch (error.code()) {
      case 401 ->
          "the API server does not accept the worker's credentials: check its kubeconfig or"
              + " ServiceAccount token";
      case 403 ->
          "the worker's account may not create Secrets and AgentTasks in namespace "
              + namespace
              + ": apply the Role and RoleBinding of manifests/base (RBAC)";
      case 404 ->
          "the API server does not serve AgentTasks in namespace "
              + namespace
              + ": install the CRD with `kubectl apply -f crds/` and check that the namespace"
              + " exists";
      default -> "see the API server's answer";
    };
  }
}
