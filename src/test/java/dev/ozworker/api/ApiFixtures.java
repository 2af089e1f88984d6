package dev.ozworker.api;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The checked-in CRD and the hello example, as tests install and create them. */
public final class ApiFixtures {
  static final Path CRD = Path.of("crds", "agenttasks.ozworker.dev-v1.yml");
  static final Path HELLO = Path.of("examples", "agenttask-hello.yaml");

  private ApiFixtures() {}

  public static CustomResourceDefinition crd() throws IOException {
    return Serialization.unmarshal(Files.readString(CRD), CustomResourceDefinition.class);
  }

  static AgentTask hello() throws IOException {
    return Serialization.unmarshal(Files.readString(HELLO), AgentTask.class);
  }
}
