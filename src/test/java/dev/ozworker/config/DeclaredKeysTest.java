package dev.ozworker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What a {@link Key} declaration gives a key of any shape, shown on a configuration of its own: a
 * nested block, a map, a structure kept as written, a count with a flag.
 */
class DeclaredKeysTest {
  record Pod(
      @Key(value = "name", flag = "--pod-name", byDefault = "task", help = "the pod's name")
          String name,
      @Key(value = "replicas", flag = "--replicas", byDefault = "1", zero = "none", help = "pods")
          int replicas,
      @Key(value = "resources", help = "what the pod may use") Resources resources,
      @Key(value = "labels", check = Check.TOKEN, help = "labels of the pod")
          Map<String, String> labels,
      @Key(value = "template", help = "a PodSpec merged into the pod") Optional<JsonNode> template,
      @Key(value = "deadline", byDefault = "0s", zero = "none", help = "how long it may run")
          Duration deadline) {}

  record Resources(
      @Key(value = "cpu", byDefault = "100m", check = Check.TOKEN, help = "CPU") String cpu,
      @Key(value = "memory", byDefault = "64Mi", check = Check.TOKEN, help = "memory")
          String memory) {}

  static final Block POD = Block.of(Pod.class, "");

  static Pod resolve(String yaml, Map<String, String> flags) throws ConfigException {
    ConfigFile file = ConfigFile.parse(POD, yaml, "pod.yaml", Map.of());
    Resolution resolution = new Resolution(POD, file, Flags.of(flags), Map.of(), Path.of("/"));
    return (Pod) resolution.resolve().orElseThrow(() -> new ConfigException(resolution.problems()));
  }

  @Test
  void aNestedBlockTakesTheKeysItIsGivenAndDefaultsTheRest() throws ConfigException {
    Pod pod = resolve("resources: {cpu: 250m}\n", Map.of());

    assertThat(pod.resources()).isEqualTo(new Resources("250m", "64Mi"));
    assertThat(resolve("", Map.of()).resources()).isEqualTo(new Resources("100m", "64Mi"));
  }

  @Test
  void aNestedBlockNamesItsUnknownKeysByTheirPath() {
    assertThatThrownBy(() -> resolve("resources: {cpus: 1}\n", Map.of()))
        .hasMessageContaining("pod.yaml: unknown key 'resources.cpus': did you mean 'cpu'?")
        .hasMessageContaining("(resources takes cpu, memory)");
  }

  @Test
  void aMapKeepsItsEntriesAndChecksEachValue() throws ConfigException {
    assertThat(resolve("labels: {team: infra, tier: web}\n", Map.of()).labels())
        .containsExactly(Map.entry("team", "infra"), Map.entry("tier", "web"));
    assertThatThrownBy(() -> resolve("labels: {team: \"a b\"}\n", Map.of()))
        .hasMessageContaining("labels.team \"a b\" must be non-empty without whitespace");
  }

  @Test
  void aStructureIsKeptAsTheFileWritesItAndShownSo() throws ConfigException {
    Pod pod = resolve("template:\n  containers:\n  - name: task\n    image: busybox\n", Map.of());

    assertThat(pod.template().orElseThrow().at("/containers/0/image").asText())
        .isEqualTo("busybox");
    assertThat(EffectiveConfig.toYaml(POD, pod))
        .contains("template:\n  containers:\n  - name: task\n    image: busybox\n");
  }

  @Test
  void aFlagWinsOverTheFileAndIsCheckedLikeIt() throws ConfigException {
    assertThat(resolve("replicas: 3\n", Map.of("--replicas", "5")).replicas()).isEqualTo(5);
    assertThat(resolve("replicas: 3\n", Map.of()).replicas()).isEqualTo(3);
    assertThatThrownBy(() -> resolve("", Map.of("--replicas", "-2")))
        .hasMessageContaining("--replicas must be 0 or more (0 = none), got -2");
  }

  @Test
  void checkConfigShowsEveryKeyInDeclarationOrderWithWhatZeroMeans() throws ConfigException {
    assertThat(EffectiveConfig.toYaml(POD, resolve("", Map.of())))
        .isEqualTo(
            """
            name: task
            replicas: 1
            resources:
              cpu: 100m
              memory: 64Mi
            labels: {}
            template: (none)
            deadline: 0s (none)
            """);
  }

  @Test
  void aFlagNoKeyDeclaresIsAMistakeOfTheCaller() {
    assertThatThrownBy(() -> resolve("", Map.of("--replica", "1")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--replica");
  }

  record Undeclared(@Key(value = "a", help = "a") String a, String b) {}

  record BadDefault(@Key(value = "wait", byDefault = "soon", help = "w") Duration pause) {}

  record FlaggedMap(@Key(value = "m", flag = "--m", help = "m") Map<String, String> m) {}

  record Nowhere(@Key(value = "n", inFile = false, help = "n") String n) {}

  record BadStructureDefault(
      @Key(value = "s", byDefault = "{a: [1", help = "s") JsonNode structure) {}

  record StructureDefault(
      @Key(value = "s", byDefault = "{limits: {cpu: 100m}}", help = "s") JsonNode structure) {}

  @Test
  void aStructuresDefaultIsWrittenAsInTheFileAndReplacedWholeByTheFile() throws Exception {
    Block block = Block.of(StructureDefault.class, "");
    Resolution nothing =
        new Resolution(block, ConfigFile.EMPTY, Flags.none(), Map.of(), Path.of("/"));
    Resolution given =
        new Resolution(
            block,
            ConfigFile.parse(block, "s: {requests: {cpu: 1}}\n", "s.yaml", Map.of()),
            Flags.none(),
            Map.of(),
            Path.of("/"));

    assertThat(((StructureDefault) nothing.resolve().orElseThrow()).structure().toString())
        .isEqualTo("{\"limits\":{\"cpu\":\"100m\"}}");
    assertThat(((StructureDefault) given.resolve().orElseThrow()).structure().toString())
        .isEqualTo("{\"requests\":{\"cpu\":1}}");
  }

  @Test
  void aMistakenDeclarationFailsWhenItsRecordIsFirstRead() {
    assertThatThrownBy(() -> Block.of(Undeclared.class, ""))
        .hasMessageContaining("Undeclared.b has no @Key");
    assertThatThrownBy(() -> Block.of(BadDefault.class, ""))
        .hasMessageContaining("the default of wait \"soon\" is not a duration");
    assertThatThrownBy(() -> Block.of(FlaggedMap.class, ""))
        .hasMessageContaining("m cannot be given as text, so it can have no flag");
    assertThatThrownBy(() -> Block.of(Nowhere.class, ""))
        .hasMessageContaining("n is read from nowhere");
    assertThatThrownBy(() -> Block.of(BadStructureDefault.class, ""))
        .hasMessageContaining("the default of s is not a YAML structure");
  }
}
