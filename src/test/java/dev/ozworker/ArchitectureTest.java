package dev.ozworker;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackages;
import static com.tngtech.archunit.core.domain.properties.HasName.Predicates.name;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The package table of docs/architecture.md, enforced: for each package, what it must not know.
 * Every row must be able to fail: its packages hold classes (ArchUnit fails a rule that checks
 * nothing), and what it forbids is something the product does use elsewhere.
 */
class ArchitectureTest {
  static JavaClasses classes;

  /** Kubernetes clients and the operator framework, as opposed to the resource model. */
  static final DescribedPredicate<JavaClass> KUBERNETES_CLIENTS =
      resideInAnyPackage(
              "io.fabric8.kubernetes.client.dsl..",
              "io.fabric8.kubernetes.client.informers..",
              "io.javaoperatorsdk..")
          .or(named("io.fabric8.kubernetes.client.KubernetesClient"));

  static final DescribedPredicate<JavaClass> PROCESSES = named(ProcessBuilder.class.getName());

  /**
   * One row of the table: the classes of {@code packages} (or, with {@code outside}, every class
   * but theirs) must not depend on what {@code forbidden} selects.
   *
   * @param packages the product's packages by their name under {@code dev.ozworker} ({@code ""} for
   *     the entry point's own), each with its subpackages
   */
  record Row(
      List<String> packages,
      boolean outside,
      DescribedPredicate<JavaClass> forbidden,
      String because) {
    static Row of(List<String> packages, String because, DescribedPredicate<JavaClass> forbidden) {
      return new Row(packages, false, forbidden, because);
    }

    static Row allBut(
        List<String> packages, String because, DescribedPredicate<JavaClass> forbidden) {
      return new Row(packages, true, forbidden, because);
    }

    DescribedPredicate<JavaClass> subject() {
      String[] patterns = packages.stream().map(Row::pattern).toArray(String[]::new);
      return outside ? resideOutsideOfPackages(patterns) : resideInAnyPackage(patterns);
    }

    ArchRule rule() {
      return noClasses().that(subject()).should().dependOnClassesThat(forbidden).because(because);
    }

    static String pattern(String name) {
      return name.isEmpty() ? "dev.ozworker" : "dev.ozworker." + name + "..";
    }

    @Override
    public String toString() {
      List<String> names =
          packages.stream().map(name -> name.isEmpty() ? "the entry point" : name).toList();
      return (outside ? "all but " : "") + String.join(", ", names) + ": " + because;
    }
  }

  /** The class of this fully qualified name. */
  static DescribedPredicate<JavaClass> named(String className) {
    return name(className).forSubtype();
  }

  /** The product's packages of these names, each with its subpackages. */
  static DescribedPredicate<JavaClass> product(String... names) {
    return resideInAnyPackage(Arrays.stream(names).map(Row::pattern).toArray(String[]::new));
  }

  static List<Row> table() {
    return List.of(
        Row.of(
            List.of("api", "task"),
            "the AgentTask model and the task resolver are values that every side uses",
            KUBERNETES_CLIENTS.or(
                resideInAnyPackage("com.github.dockerjava..", "java.net.http.."))),
        Row.of(
            List.of("config"),
            "configuration is read from files, flags and the environment, and checked offline",
            resideInAnyPackage(
                    "io.fabric8..",
                    "io.javaoperatorsdk..",
                    "com.github.dockerjava..",
                    "java.net.http..")
                .or(named("java.net.Socket"))
                .or(named("java.net.URLConnection"))),
        Row.of(
            List.of("backend"),
            "a backend runs a resolved task as a process, a container or a Pod; it knows neither"
                + " AgentTasks, the operator framework nor Oz",
            product("controller", "oz", "intake", "runtime")
                .or(resideInAnyPackage("io.javaoperatorsdk.."))
                .or(named("dev.ozworker.api.AgentTask"))),
        Row.of(
            List.of("backend.docker", "backend.direct"),
            "containers and processes need no Kubernetes API; only the Kubernetes backend talks"
                + " to it",
            resideInAnyPackage("io.fabric8.kubernetes.client..").or(product("backend.kubernetes"))),
        Row.of(
            List.of("controller"),
            "the controller runs AgentTasks through the backend contract and knows nothing of Oz",
            product(
                    "backend.docker",
                    "backend.direct",
                    "backend.kubernetes",
                    "oz",
                    "intake",
                    "runtime")
                .or(resideInAnyPackage("com.github.dockerjava.."))
                .or(PROCESSES)),
        Row.of(
            List.of("oz"),
            "oz is the wire protocol and the link to Oz; what a task means to Kubernetes is"
                + " intake's",
            product("backend", "controller", "intake", "runtime")
                .or(
                    resideInAnyPackage(
                        "io.fabric8..", "io.javaoperatorsdk..", "com.github.dockerjava.."))
                .or(PROCESSES)),
        Row.of(
            List.of("intake"),
            "intake hands tasks between Oz and AgentTasks, both ways; how they run is not its"
                + " business",
            product("backend", "controller", "runtime")
                .or(resideInAnyPackage("io.javaoperatorsdk..", "com.github.dockerjava.."))
                .or(PROCESSES)),
        Row.of(
            List.of("observe"),
            "observability is told what happens and knows none of those who tell it",
            product("backend", "controller", "oz", "intake", "runtime", "demo", "embedded", "cli")),
        Row.of(
            List.of("runtime"),
            "the runtime assembles a replica from the backends and the cluster it is given;"
                + " choosing them is the command line's",
            product("backend.docker", "backend.direct", "embedded")
                .or(resideInAnyPackage("com.github.dockerjava.."))
                .or(PROCESSES)),
        Row.of(
            List.of("demo"),
            "the demo drives a whole worker from outside: through its runtime, the Kubernetes API"
                + " and the Oz wire",
            product("controller", "intake").or(resideInAnyPackage("io.javaoperatorsdk.."))),
        Row.of(
            List.of("embedded"),
            "the embedded API server is a Kubernetes API server and knows nothing of the worker",
            resideInAnyPackage("dev.ozworker..")
                .and(resideOutsideOfPackages("dev.ozworker.embedded.."))),
        Row.of(
            List.of("cli"),
            "the command line is wiring: it parses, picks the backend and the cluster and starts"
                + " the runtime or the demo, which assemble the rest",
            product("controller", "intake")
                .or(
                    resideInAnyPackage(
                        "io.fabric8.kubernetes.client.informers..", "io.javaoperatorsdk.."))
                .or(named("dev.ozworker.oz.OzLink"))),
        Row.allBut(
            List.of("cli", ""),
            "only the wiring knows the command line: nothing but the entry point imports it",
            product("cli").or(resideInAnyPackage("picocli.."))),
        Row.allBut(
            List.of("cli", "demo"),
            "the demo is started from the command line only",
            product("demo")),
        Row.allBut(
            List.of("cli", "demo", "embedded"),
            "only the command line (run without a cluster) and the demo start the embedded API"
                + " server",
            product("embedded")));
  }

  @BeforeAll
  static void importMainClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.ozworker");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void eachPackageKnowsOnlyWhatItsRowAllows(Row row) {
    row.rule().check(classes);
  }

  /** Were the subject of a row to take such a dependency, the row would fail. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void whatEachRowForbidsIsUsedElsewhereInTheProduct(Row row) {
    assertThat(
            noClasses()
                .that(DescribedPredicate.not(row.subject()))
                .should()
                .dependOnClassesThat(row.forbidden())
                .evaluate(classes)
                .hasViolation())
        .as("some class outside the row's depends on %s", row.forbidden().getDescription())
        .isTrue();
  }

  @Test
  void everyPackageOfTheProductHasARow() {
    Set<String> named =
        table().stream()
            .filter(row -> !row.outside())
            .flatMap(row -> row.packages().stream())
            .map(name -> name.replaceFirst("\\..*", ""))
            .collect(Collectors.toCollection(TreeSet::new));
    Set<String> packages =
        classes.stream()
            .map(JavaClass::getPackageName)
            .filter(name -> name.startsWith("dev.ozworker."))
            .map(name -> name.split("\\.")[2])
            .collect(Collectors.toCollection(TreeSet::new));

    assertThat(named).containsExactlyElementsOf(packages);
  }

  @Test
  void theResolverDoesNoIoAndReadsNoClock() {
    noClasses()
        .that()
        .resideInAPackage("dev.ozworker.task..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("java.io..", "java.nio.file..", "java.net.http..", "io.fabric8..")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName("java.net.Socket")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName("java.net.URL")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName("java.net.InetAddress")
        .orShould()
        .callMethod(System.class, "getenv", String.class)
        .orShould()
        .callMethod(System.class, "getenv")
        .orShould()
        .callMethod(System.class, "currentTimeMillis")
        .orShould()
        .callMethod(java.time.Instant.class, "now")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName(ProcessBuilder.class.getName())
        .check(classes);
  }
}
