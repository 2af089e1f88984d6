package dev.ozworker;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The package table of DESIGN.md, enforced. */
class ArchitectureTest {
  static JavaClasses classes;

  @BeforeAll
  static void importMainClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.ozworker");
  }

  @Test
  void theModelAndTheResolverUseNoClients() {
    noClasses()
        .that()
        .resideInAnyPackage("dev.ozworker.api..", "dev.ozworker.task..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.fabric8.kubernetes.client.dsl..",
            "io.fabric8.kubernetes.client.informers..",
            "io.javaoperatorsdk..",
            "com.github.dockerjava..",
            "java.net.http..")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName("io.fabric8.kubernetes.client.KubernetesClient")
        .check(classes);
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

  @Test
  void configurationTouchesNeitherTheNetworkNorKubernetes() {
    noClasses()
        .that()
        .resideInAPackage("dev.ozworker.config..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.fabric8..", "io.javaoperatorsdk..", "com.github.dockerjava..", "java.net.http..")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName("java.net.Socket")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName("java.net.URLConnection")
        .check(classes);
  }

  @Test
  void backendsKnowNeitherKubernetesNorOz() {
    noClasses()
        .that()
        .resideInAPackage("dev.ozworker.backend..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.ozworker.controller..",
            "dev.ozworker.oz..",
            "dev.ozworker.intake..",
            "io.fabric8.kubernetes.client..",
            "io.javaoperatorsdk..")
        .check(classes);
  }

  @Test
  void theControllerKnowsBackendsOnlyByTheirContract() {
    noClasses()
        .that()
        .resideInAPackage("dev.ozworker.controller..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "com.github.dockerjava..",
            "dev.ozworker.backend.docker..",
            "dev.ozworker.backend.direct..",
            "dev.ozworker.oz..")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName(ProcessBuilder.class.getName())
        .check(classes);
  }

  @Test
  void theOzSideKnowsNeitherBackendsNorTheController() {
    noClasses()
        .that()
        .resideInAnyPackage("dev.ozworker.oz..", "dev.ozworker.intake..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.ozworker.backend..",
            "dev.ozworker.controller..",
            "com.github.dockerjava..",
            "io.javaoperatorsdk..")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName(ProcessBuilder.class.getName())
        .check(classes);
  }

  @Test
  void observabilityIsToldWhatHappensAndKnowsNoneOfThoseWhoTellIt() {
    noClasses()
        .that()
        .resideInAPackage("dev.ozworker.observe..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.ozworker.backend..",
            "dev.ozworker.controller..",
            "dev.ozworker.oz..",
            "dev.ozworker.intake..",
            "dev.ozworker.cli..")
        .check(classes);
  }

  @Test
  void onlyTheWiringKnowsTheCommandLine() {
    noClasses()
        .that()
        .resideOutsideOfPackages("dev.ozworker.cli..", "dev.ozworker")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("picocli..", "dev.ozworker.cli..")
        .check(classes);
  }
}
