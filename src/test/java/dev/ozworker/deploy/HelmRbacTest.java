package dev.ozworker.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart grants exactly what the kustomize manifests grant, backend by backend: the same Roles,
 * rule for rule and verb for verb, bound to the same ServiceAccount, and nothing cluster-wide. The
 * manifests' side is manifests/base plus the overlay's own files (no overlay patches a Role);
 * HelmChartApiServerIT compares with {@code kubectl kustomize} output as well.
 */
class HelmRbacTest {
  @TempDir Path dir;

  @Test
  void eachBackendsRolesAndBindingsAreThoseOfItsOverlay() throws IOException {
    for (String backend : HelmChart.BACKENDS) {
      List<HasMetadata> chart = rendered(backend);
      List<HasMetadata> overlay = overlayFiles(Manifests.ROOT.resolve("overlays/" + backend));

      assertThat(rules(chart)).as(backend).isEqualTo(rules(overlay)).isNotEmpty();
      assertThat(bindings(chart)).as(backend).isEqualTo(bindings(overlay)).isNotEmpty();
      assertThat(HelmChart.all(chart, ClusterRole.class)).isEmpty();
      assertThat(HelmChart.all(chart, ClusterRoleBinding.class)).isEmpty();
      assertThat(HelmChart.one(chart, ServiceAccount.class).getMetadata().getName())
          .isEqualTo(Manifests.SERVICE_ACCOUNT);
    }
  }

  @Test
  void onlyTheKubernetesBackendMayMakeTaskPods() throws IOException {
    for (String backend : HelmChart.BACKENDS) {
      boolean createsPods =
          HelmChart.all(rendered(backend), Role.class).stream()
              .flatMap(role -> role.getRules().stream())
              .anyMatch(
                  rule ->
                      rule.getResources().contains("pods") && rule.getVerbs().contains("create"));

      assertThat(createsPods).as(backend).isEqualTo(backend.equals("kubernetes"));
    }
  }

  @Test
  void withoutRbacCreationTheChartGrantsNothing() throws IOException {
    List<HasMetadata> chart =
        HelmChart.objects(
            HelmChart.template(
                Manifests.NAMESPACE, dir, "rbac: {create: false}\nbackend: {type: kubernetes}\n"));

    assertThat(HelmChart.all(chart, Role.class)).isEmpty();
    assertThat(HelmChart.all(chart, RoleBinding.class)).isEmpty();
  }

  private List<HasMetadata> rendered(String backend) throws IOException {
    return HelmChart.objects(
        HelmChart.template(Manifests.NAMESPACE, dir, "backend: {type: %s}\n".formatted(backend)));
  }

  /** The objects of manifests/base and of the overlay's own files. */
  static List<HasMetadata> overlayFiles(Path overlay) throws IOException {
    List<HasMetadata> objects = new ArrayList<>();
    for (Path file : Manifests.objectFiles(Manifests.BASE)) {
      if (!file.getFileName().toString().startsWith("agenttasks")) {
        objects.addAll(Manifests.read(file));
      }
    }
    for (Path file : Manifests.objectFiles(overlay)) {
      objects.addAll(Manifests.read(file));
    }
    return objects;
  }

  /** Each Role's rules by the Role's name. */
  static Map<String, List<PolicyRule>> rules(List<HasMetadata> objects) {
    Map<String, List<PolicyRule>> rules = new TreeMap<>();
    for (Role role : HelmChart.all(objects, Role.class)) {
      rules.put(role.getMetadata().getName(), role.getRules());
    }
    return rules;
  }

  /** Each RoleBinding's Role and subjects by the binding's name. */
  static Map<String, String> bindings(List<HasMetadata> objects) {
    Map<String, String> bindings = new TreeMap<>();
    for (RoleBinding binding : HelmChart.all(objects, RoleBinding.class)) {
      List<String> subjects = new ArrayList<>();
      for (Subject subject : binding.getSubjects()) {
        subjects.add(subject.getKind() + " " + subject.getNamespace() + "/" + subject.getName());
      }
      bindings.put(
          binding.getMetadata().getName(),
          binding.getRoleRef().getKind()
              + " "
              + binding.getRoleRef().getName()
              + " -> "
              + subjects);
    }
    return bindings;
  }
}
