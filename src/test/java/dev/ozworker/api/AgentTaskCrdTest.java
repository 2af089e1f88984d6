package dev.ozworker.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crdv2.generator.CRDGenerator;
import io.fabric8.crdv2.generator.CRDPostProcessor;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CRD in {@code crds/} is generated from the Java model. Run with {@code -Dcrd.update=true} to
 * rewrite it after changing the model.
 */
class AgentTaskCrdTest {
  static final Path CHECKED_IN = ApiFixtures.CRD;

  static String generated;

  @BeforeAll
  static void generateFromModel(@TempDir Path dir) throws IOException {
    new CRDGenerator()
        .customResourceClasses(AgentTask.class)
        .forCRDVersions("v1")
        .withPostProcessor(
            new CRDPostProcessor() {
              @Override
              public HasMetadata process(HasMetadata crd, String crdVersion) {
                return columnsInDeclaredOrder(crd);
              }
            })
        .inOutputDir(dir.toFile())
        .generate();
    generated = Files.readString(dir.resolve(CHECKED_IN.getFileName()));
    if (Boolean.getBoolean("crd.update")) {
      Files.writeString(CHECKED_IN, generated);
    }
  }

  @Test
  void checkedInCrdIsWhatTheModelGenerates() throws IOException {
    assertThat(CHECKED_IN).exists();
    assertThat(Files.readString(CHECKED_IN))
        .as(
            "crds/ differs from the model: run ./mvnw test -Dtest=AgentTaskCrdTest"
                + " -Dcrd.update=true")
        .isEqualTo(generated);
  }

  @Test
  void crdNamesTheResourceAsDesigned() {
    CustomResourceDefinition crd = checkedIn();
    assertThat(crd.getMetadata().getName()).isEqualTo("agenttasks.ozworker.dev");
    assertThat(crd.getSpec().getGroup()).isEqualTo("ozworker.dev");
    assertThat(crd.getSpec().getScope()).isEqualTo("Namespaced");
    assertThat(crd.getSpec().getNames().getKind()).isEqualTo("AgentTask");
    assertThat(crd.getSpec().getNames().getPlural()).isEqualTo("agenttasks");
    assertThat(crd.getSpec().getNames().getShortNames()).containsExactly("at");
    CustomResourceDefinitionVersion version = onlyVersion(crd);
    assertThat(version.getName()).isEqualTo("v1alpha1");
    assertThat(version.getSubresources().getStatus()).isNotNull();
  }

  @Test
  void printerColumnsArePhaseTitleWorkerExitReasonAge() {
    var columns = onlyVersion(checkedIn()).getAdditionalPrinterColumns();
    assertThat(columns)
        .extracting(CustomResourceColumnDefinition::getName)
        .containsExactly("Phase", "Title", "Worker", "Exit", "Reason", "Age");
    assertThat(columns)
        .extracting(CustomResourceColumnDefinition::getJsonPath)
        .containsExactly(
            ".status.phase",
            ".spec.title",
            ".status.workerId",
            ".status.exitCode",
            ".status.failureReason",
            ".metadata.creationTimestamp");
  }

  @Test
  void everySpecAndStatusFieldIsDescribedForKubectlExplain() {
    JSONSchemaProps root = onlyVersion(checkedIn()).getSchema().getOpenAPIV3Schema();
    for (String part : new String[] {"spec", "status"}) {
      assertThat(root.getProperties().get(part).getDescription()).as(part).isNotBlank();
      var fields = root.getProperties().get(part).getProperties();
      assertThat(fields).isNotEmpty();
      fields.forEach(
          (name, schema) ->
              assertThat(schema.getDescription())
                  .as(part + "." + name + " description")
                  .isNotBlank());
    }
  }

  @Test
  void specHoldsOnlyAReferenceToTheSecretNeverValues() {
    var spec =
        onlyVersion(checkedIn()).getSchema().getOpenAPIV3Schema().getProperties().get("spec");
    assertThat(spec.getProperties()).doesNotContainKeys("env", "envVars", "env_vars");
    assertThat(spec.getProperties().get("envFrom").getProperties()).containsOnlyKeys("secretName");
  }

  @Test
  void phaseAndFailureReasonAreClosedSets() {
    var status =
        onlyVersion(checkedIn()).getSchema().getOpenAPIV3Schema().getProperties().get("status");
    assertThat(status.getProperties().get("phase").getEnum())
        .extracting(JsonNode::asText)
        .containsExactlyInAnyOrder(
            "Pending", "Preparing", "Running", "Succeeded", "Failed", "Cancelled", "Dispatched");
    assertThat(status.getProperties().get("failureReason").getEnum())
        .extracting(JsonNode::asText)
        .containsExactlyInAnyOrderElementsOf(
            Arrays.stream(FailureReason.values()).map(FailureReason::wireName).toList())
        .contains("unknown", "image_pull", "container_oom", "agent_invocation", "cleanup");
  }

  /**
   * The generator sorts printer columns by name; kubectl shows them in the order the model declares
   * them (Phase first, Age last).
   */
  private static HasMetadata columnsInDeclaredOrder(HasMetadata resource) {
    List<String> declared =
        Arrays.stream(AgentTask.class.getAnnotationsByType(AdditionalPrinterColumn.class))
            .map(AdditionalPrinterColumn::name)
            .toList();
    for (var version : ((CustomResourceDefinition) resource).getSpec().getVersions()) {
      version
          .getAdditionalPrinterColumns()
          .sort(Comparator.comparingInt(column -> declared.indexOf(column.getName())));
    }
    return resource;
  }

  private static CustomResourceDefinition checkedIn() {
    return Serialization.unmarshal(generated, CustomResourceDefinition.class);
  }

  private static CustomResourceDefinitionVersion onlyVersion(CustomResourceDefinition crd) {
    assertThat(crd.getSpec().getVersions()).hasSize(1);
    return crd.getSpec().getVersions().get(0);
  }
}
