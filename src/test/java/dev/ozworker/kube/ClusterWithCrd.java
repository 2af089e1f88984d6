package dev.ozworker.kube;

import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The real API server for a test class, with the AgentTask CRD installed: registered as a static
 * {@code @RegisterExtension} field, it connects before the class (skipping it when no cluster is
 * configured), installs the CRD when absent, and afterwards removes it only if it installed it.
 */
public final class ClusterWithCrd implements BeforeAllCallback, AfterAllCallback {
  private KubernetesClient client;
  private boolean createdCrd;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    client = TestCluster.connectOrSkip();
    createdCrd = TestCluster.installCrd(client);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (client == null) {
      return;
    }
    if (createdCrd) {
      TestCluster.removeCrd(client);
    }
    client.close();
  }

  /** The client of the cluster; available from the class's first callback on. */
  public KubernetesClient client() {
    return client;
  }
}
