package dev.ozworker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ozworker.embedded.EmbeddedApiServer;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WorkerSerializationTest {

  @Test
  void eachWatchedKindIsReadAsItsClassAndNoOtherKindIsSearchedFor() {
    KubernetesSerialization serialization = WorkerSerialization.create();

    for (Class<? extends KubernetesResource> kind : WorkerSerialization.WATCHED) {
      @SuppressWarnings("unchecked")
      Class<? extends HasMetadata> resource = (Class<? extends HasMetadata>) kind;
      assertThat(serialization.unmarshal(objectOf(resource), KubernetesResource.class))
          .as(HasMetadata.getKind(resource))
          .isInstanceOf(kind);
    }
    assertThat(serialization.unmarshal(objectOf(ConfigMap.class), KubernetesResource.class))
        .as("a kind not registered, read where no class is named")
        .isInstanceOf(GenericKubernetesResource.class);
  }

  @Test
  void theClientOfARealApiServerUsesIt() {
    try (KubernetesClient client =
        ApiServerClient.connect(new ConfigBuilder().withMasterUrl("https://127.0.0.1:1").build())) {
      KubernetesSerialization serialization = client.getKubernetesSerialization();

      assertThat(serialization.unmarshal(objectOf(Pod.class), KubernetesResource.class))
          .isInstanceOf(Pod.class);
      assertThat(serialization.unmarshal(objectOf(ConfigMap.class), KubernetesResource.class))
          .isInstanceOf(GenericKubernetesResource.class);
    }
  }

  @Test
  void aWatchDeliversItsOwnClassWhetherTheKindIsRegisteredOrNot() throws Exception {
    try (EmbeddedApiServer server = EmbeddedApiServer.start();
        KubernetesClient client = server.client(WorkerSerialization.create())) {
      CompletableFuture<Object> pod = new CompletableFuture<>();
      CompletableFuture<Object> configMap = new CompletableFuture<>();
      try (Watch pods = client.pods().inNamespace("default").watch(firstOf(pod));
          Watch configMaps = client.configMaps().inNamespace("default").watch(firstOf(configMap))) {
        client
            .pods()
            .inNamespace("default")
            .resource(new PodBuilder().withNewMetadata().withName("p").endMetadata().build())
            .create();
        client
            .configMaps()
            .inNamespace("default")
            .resource(new ConfigMapBuilder().withNewMetadata().withName("c").endMetadata().build())
            .create();

        assertThat(pod.get(30, TimeUnit.SECONDS)).isInstanceOf(Pod.class);
        assertThat(configMap.get(30, TimeUnit.SECONDS)).isInstanceOf(ConfigMap.class);
      }
    }
  }

  private static String objectOf(Class<? extends HasMetadata> kind) {
    return """
    {"apiVersion": "%s", "kind": "%s", "metadata": {"name": "x"}}\
    """
        .formatted(HasMetadata.getApiVersion(kind), HasMetadata.getKind(kind));
  }

  private static <T> Watcher<T> firstOf(CompletableFuture<Object> first) {
    return new Watcher<>() {
      @Override
      public void eventReceived(Action action, T resource) {
        first.complete(resource);
      }

      @Override
      public void onClose(WatcherException cause) {
        first.completeExceptionally(cause);
      }
    };
  }
}
