package dev.ozworker.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.server.mock.crud.KubernetesCrudPersistence;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The embedded API server as a client sees it: watches sent each change once and in order, deletes
 * as fabric8's mock makes them, resourceVersions and generations moved as the mock moves them; and
 * every lookup its name index answered agreed with a scan of everything stored.
 */
class EmbeddedApiServerTest {
  private static final String NS = "watched";

  private final ScanCheckedStore checked = new ScanCheckedStore();
  private EmbeddedApiServer api;
  private KubernetesClient client;

  @BeforeEach
  void start() {
    api = EmbeddedApiServer.start(new EmbeddedDispatcher(checked::around));
    client = api.client();
  }

  @AfterEach
  void stop() {
    api.close();
    assertThat(checked.disagreements()).isEmpty();
    assertThat(checked.indexInUse()).isTrue();
  }

  @Test
  void aWatchIsSentWhatIsStoredAsAddedThenEveryChangeInOrder() throws Exception {
    client.resource(map("before", "team", "a", "v", "1")).inNamespace(NS).create();
    Events events = new Events();
    try (Watch watch = client.configMaps().inNamespace(NS).watch(events)) {
      assertThat(events.next()).isEqualTo("ADDED before v=1");

      client.resource(map("after", "team", "a", "v", "1")).inNamespace(NS).create();
      client.configMaps().inNamespace(NS).withName("after").edit(m -> withValue(m, "2"));
      client.configMaps().inNamespace(NS).withName("before").delete();

      assertThat(events.next()).isEqualTo("ADDED after v=1");
      assertThat(events.next()).isEqualTo("MODIFIED after v=2");
      assertThat(events.next()).isEqualTo("DELETED before v=1");
    }
  }

  @Test
  void aLabelSelectedWatchSeesAnObjectLeaveAndEnterItsSelection() throws Exception {
    Events events = new Events();
    try (Watch watch = client.configMaps().inNamespace(NS).withLabel("team", "a").watch(events)) {
      client.resource(map("other", "team", "b", "v", "1")).inNamespace(NS).create();
      client.resource(map("mine", "team", "a", "v", "1")).inNamespace(NS).create();
      client.configMaps().inNamespace(NS).withName("mine").edit(m -> withTeam(m, "b"));
      client.configMaps().inNamespace(NS).withName("other").edit(m -> withTeam(m, "a"));

      assertThat(events.next()).isEqualTo("ADDED mine v=1");
      assertThat(events.next()).isEqualTo("DELETED mine v=1");
      assertThat(events.next()).isEqualTo("ADDED other v=1");
      // Events come in order: anything sent about "other" while it was outside would come first.
      client.resource(map("last", "team", "a", "v", "1")).inNamespace(NS).create();
      assertThat(events.next()).isEqualTo("ADDED last v=1");
    }
  }

  @Test
  void aWatchOfOneNameSeesOnlyThatObject() throws Exception {
    Events events = new Events();
    try (Watch watch = client.configMaps().inNamespace(NS).withName("one").watch(events)) {
      client.resource(map("two", "team", "a", "v", "1")).inNamespace(NS).create();
      client.resource(map("one", "team", "a", "v", "1")).inNamespace(NS).create();

      assertThat(events.next()).isEqualTo("ADDED one v=1");
      client.configMaps().inNamespace(NS).withName("two").edit(m -> withValue(m, "2"));
      client.configMaps().inNamespace(NS).withName("one").edit(m -> withValue(m, "2"));
      assertThat(events.next()).isEqualTo("MODIFIED one v=2");
    }
  }

  @Test
  void aWatchOpenedAmidWritesEndsWithEveryObjectAsStored() throws Exception {
    int objects = 20;
    for (int i = 0; i < objects; i++) {
      client.resource(map("m" + i, "team", "a", "v", "0")).inNamespace(NS).create();
    }
    Map<String, String> seen = new ConcurrentHashMap<>();
    Thread writer =
        Thread.ofVirtual()
            .start(
                () -> {
                  for (int round = 1; round <= 10; round++) {
                    for (int i = 0; i < objects; i++) {
                      String value = String.valueOf(round);
                      client
                          .configMaps()
                          .inNamespace(NS)
                          .withName("m" + i)
                          .edit(m -> withValue(m, value));
                    }
                  }
                });
    Watcher<ConfigMap> latest =
        new Watcher<>() {
          @Override
          public void eventReceived(Action action, ConfigMap map) {
            seen.put(map.getMetadata().getName(), map.getData().get("v"));
          }

          @Override
          public void onClose(WatcherException cause) {}
        };
    try (Watch watch = client.configMaps().inNamespace(NS).watch(latest)) {
      writer.join();
      Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () -> {
                assertThat(seen).hasSize(objects);
                assertThat(seen.values()).containsOnly("10");
              });
    }
  }

  @Test
  void aDeleteOfEverythingALabelSelectsRemovesItAndEachWatchSeesItGo() throws Exception {
    client.resource(map("one", "team", "a", "v", "1")).inNamespace(NS).create();
    client.resource(map("two", "team", "a", "v", "1")).inNamespace(NS).create();
    client.resource(map("kept", "team", "b", "v", "1")).inNamespace(NS).create();
    Events events = new Events();
    try (Watch watch = client.configMaps().inNamespace(NS).withLabel("team", "a").watch(events)) {
      assertThat(List.of(events.next(), events.next()))
          .containsExactlyInAnyOrder("ADDED one v=1", "ADDED two v=1");

      client.configMaps().inNamespace(NS).withLabel("team", "a").delete();

      assertThat(List.of(events.next(), events.next()))
          .containsExactlyInAnyOrder("DELETED one v=1", "DELETED two v=1");
    }
    assertThat(client.configMaps().inNamespace(NS).list().getItems())
        .extracting(m -> m.getMetadata().getName())
        .containsExactly("kept");
    assertThat(client.configMaps().inNamespace(NS).withName("one").get()).isNull();
  }

  @Test
  void anObjectWithAFinalizerIsMarkedOnDeleteAndGoesWithItsLastFinalizer() throws Exception {
    ConfigMap held =
        new ConfigMapBuilder(map("held", "team", "a", "v", "1"))
            .editMetadata()
            .addToFinalizers("ozworker.dev/test")
            .endMetadata()
            .build();
    client.resource(held).inNamespace(NS).create();
    Events events = new Events();
    try (Watch watch = client.configMaps().inNamespace(NS).watch(events)) {
      assertThat(events.next()).isEqualTo("ADDED held v=1");

      client.configMaps().inNamespace(NS).withName("held").delete();
      ConfigMap marked = client.configMaps().inNamespace(NS).withName("held").get();
      client
          .configMaps()
          .inNamespace(NS)
          .withName("held")
          .edit(m -> new ConfigMapBuilder(m).editMetadata().withFinalizers().endMetadata().build());

      assertThat(marked.getMetadata().getDeletionTimestamp()).isNotNull();
      assertThat(events.next()).isEqualTo("MODIFIED held v=1");
      assertThat(events.next()).isEqualTo("DELETED held v=1");
      assertThat(client.configMaps().inNamespace(NS).withName("held").get()).isNull();
    }
  }

  @Test
  void decidesAGenerationChangeAsTheMocksDiffDoes() throws Exception {
    String base =
        """
        {"kind":"AgentTask","metadata":{"name":"a","labels":{"x":"1"}},
         "spec":{"prompt":"p","args":[1,2]},"status":{"phase":"Running"}}\
        """;
    List<String> updates =
        List.of(
            base,
            base.replace("\"x\":\"1\"", "\"x\":\"2\""),
            base.replace("Running", "Succeeded"),
            base.replace("[1,2]", "[2,1]"),
            base.replace("\"prompt\":\"p\"", "\"prompt\":\"q\""),
            base.replace(",\"status\":{\"phase\":\"Running\"}", ""),
            base.replace("\"kind\":\"AgentTask\",", ""),
            base.replace("\"spec\"", "\"metadataX\""),
            base.replace("{\"kind\"", "{\"extra\":null,\"kind\""));
    ObjectMapper json = new ObjectMapper();
    JsonNode current = json.readTree(base);
    for (String update : updates) {
      JsonNode updated = json.readTree(update);
      assertThat(StoredObjects.changedBeyondMetadataAndStatus(current, updated))
          .as(update)
          .isEqualTo(KubernetesCrudPersistence.shouldIncreaseGeneration(current, updated));
    }
  }

  @Test
  void aWriteThatChangesNothingKeepsItsVersionAndOnlyASpecChangeMovesTheGeneration() {
    ConfigMap created =
        client.resource(map("kept", "team", "a", "v", "1")).inNamespace(NS).create();
    ConfigMap same = client.resource(created).inNamespace(NS).update();
    ConfigMap relabelled = client.resource(withTeam(same, "b")).inNamespace(NS).update();
    ConfigMap changed = client.resource(withValue(relabelled, "2")).inNamespace(NS).update();

    assertThat(same.getMetadata().getResourceVersion())
        .isEqualTo(created.getMetadata().getResourceVersion());
    assertThat(relabelled.getMetadata().getResourceVersion())
        .isNotEqualTo(same.getMetadata().getResourceVersion());
    assertThat(relabelled.getMetadata().getGeneration())
        .isEqualTo(created.getMetadata().getGeneration());
    assertThat(changed.getMetadata().getGeneration())
        .isEqualTo(relabelled.getMetadata().getGeneration() + 1);
  }

  private static ConfigMap map(String name, String label, String team, String key, String value) {
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withName(name)
        .addToLabels(label, team)
        .endMetadata()
        .addToData(key, value)
        .build();
  }

  private static ConfigMap withValue(ConfigMap map, String value) {
    return new ConfigMapBuilder(map).addToData("v", value).build();
  }

  private static ConfigMap withTeam(ConfigMap map, String team) {
    return new ConfigMapBuilder(map).editMetadata().addToLabels("team", team).endMetadata().build();
  }

  /** Each event as "ACTION name v=value", in the order received. */
  private static final class Events implements Watcher<ConfigMap> {
    private final BlockingQueue<String> received = new LinkedBlockingQueue<>();

    @Override
    public void eventReceived(Action action, ConfigMap map) {
      received.add(action + " " + map.getMetadata().getName() + " v=" + map.getData().get("v"));
    }

    @Override
    public void onClose(WatcherException cause) {}

    String next() throws InterruptedException {
      String event = received.poll(10, TimeUnit.SECONDS);
      assertThat(event).as("a watch event within 10 s").isNotNull();
      return event;
    }
  }
}
