package dev.ozworker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which Kubernetes API a worker uses: flag, in-cluster, kubeconfig, else embedded. */
class ClusterTest {
  @TempDir Path dir;

  @Test
  void theFlagWinsOverEverything() throws Exception {
    Path token = Files.writeString(dir.resolve("token"), "t");
    Path flag = dir.resolve("given");

    var choice =
        Cluster.choose(Optional.of(flag), Map.of("KUBERNETES_SERVICE_HOST", "10.0.0.1"), token);

    assertThat(choice.getKey()).isEqualTo(Cluster.Source.FLAG);
    assertThat(choice.getValue()).contains(flag);
  }

  @Test
  void inAPodTheServiceAccountWinsOverAKubeconfig() throws Exception {
    Path token = Files.writeString(dir.resolve("token"), "t");
    Path kubeconfig = Files.writeString(dir.resolve("config"), "{}");

    var choice =
        Cluster.choose(
            Optional.empty(),
            Map.of("KUBERNETES_SERVICE_HOST", "10.0.0.1", "KUBECONFIG", kubeconfig.toString()),
            token);

    assertThat(choice.getKey()).isEqualTo(Cluster.Source.IN_CLUSTER);
  }

  @Test
  void outsideAPodTheFirstExistingKubeconfigThenTheHomeOne() throws Exception {
    Path existing = Files.writeString(dir.resolve("config"), "{}");
    Path home = Files.createDirectories(dir.resolve("home/.kube")).getParent();
    Files.writeString(home.resolve(".kube/config"), "{}");
    Path noToken = dir.resolve("no-token");

    assertThat(
            Cluster.choose(
                Optional.empty(),
                Map.of("KUBECONFIG", dir.resolve("missing") + ":" + existing),
                noToken))
        .isEqualTo(Map.entry(Cluster.Source.KUBECONFIG, Optional.of(existing)));
    assertThat(Cluster.choose(Optional.empty(), Map.of("HOME", home.toString()), noToken))
        .isEqualTo(Map.entry(Cluster.Source.KUBECONFIG, Optional.of(home.resolve(".kube/config"))));
  }

  @Test
  void withNothingConfiguredTheEmbeddedApiServer() {
    var choice =
        Cluster.choose(Optional.empty(), Map.of("HOME", dir.toString()), dir.resolve("no-token"));

    assertThat(choice.getKey()).isEqualTo(Cluster.Source.EMBEDDED);
  }
}
