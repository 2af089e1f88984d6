package dev.ozworker.backend.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClientException;

/** API server refusals of task Pods, said as what to fix. */
final class PodErrors {
  private PodErrors() {}

  /** The refusal in one line, with the fix when the cause is a known one. */
  static String describe(KubernetesClientException e) {
    String said =
        e.getStatus() != null && e.getStatus().getMessage() != null
            ? e.getStatus().getMessage()
            : String.valueOf(e.getMessage());
    String fix =
        switch (e.getCode()) {
          case 403 ->
              said.contains("PodSecurity") || said.contains("violates")
                  ? "the namespace's Pod Security admission refuses the task Pod: relax the"
                      + " namespace's pod-security.kubernetes.io/enforce level or make"
                      + " backend.kubernetes.pod_template meet it"
                  : said.contains("exceeded quota")
                      ? "the namespace's ResourceQuota has no room for the task Pod: raise the"
                          + " quota or lower the tasks' requests"
                      : said.contains("blockOwnerDeletion") || said.contains("finalizers")
                          ? "the worker may not set an owner on the task Pod: grant it update"
                              + " on agenttasks/finalizers (see manifests/overlays/kubernetes)"
                          : "the worker's service account may not manage Pods here: grant it"
                              + " pods create/get/list/watch/delete and pods/log get in this"
                              + " namespace (see manifests/overlays/kubernetes)";
          case 422 ->
              "the API server refuses the Pod as built from backend.kubernetes.pod_template:"
                  + " fix the field it names";
          default -> "";
        };
    return "HTTP " + e.getCode() + ": " + said + (fix.isEmpty() ? "" : "; " + fix);
  }
}
